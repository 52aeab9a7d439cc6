"""Loading and validating the configuration file: every error names its key."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from app.config import ConfigError, load_config, parse_config
from app.settings import DEMO_CONFIG
from tests.support.config_changes import problems_of, with_change
from tests.support.constants import TEST_CONFIG


def test_demo_and_test_configs_load() -> None:
    demo = load_config(DEMO_CONFIG)
    assert demo.policy.cio == "carol"
    assert demo.contracts["acme"].numbers == ("+49301234567", "+49897654321")
    test = load_config(TEST_CONFIG)
    assert test.directory.by_caller("+49307654321").id == "acme"  # written nationally in the file
    assert test.directory.by_pin("2048").id == "globex"


def test_unknown_key_is_named() -> None:
    raw = with_change(TEST_CONFIG, lambda d: d["contracts"]["acme"].update(teir="24/7"))
    assert problems_of(raw) == {"contracts.acme.teir": "unknown key (check its spelling)"}


def test_bad_tier_and_pin() -> None:
    def change(d):  # type: ignore[no-untyped-def]
        d["contracts"]["acme"]["tier"] = "gold"
        d["contracts"]["acme"]["pin"] = "12"
    found = problems_of(with_change(TEST_CONFIG, change))
    assert set(found) == {"contracts.acme.tier", "contracts.acme.pin"}
    assert "gold" in found["contracts.acme.tier"]


@pytest.mark.parametrize(
    ("change", "key", "fragment"),
    [
        (lambda d: d["rotations"]["primary"]["participants"].append("zoe"),
         "rotations.primary.participants[3]", "no person 'zoe'"),
        (lambda d: d["policies"]["default"].update(cio="nobody"), "policies.default.cio", "nobody"),
        (lambda d: d["policies"]["default"].update(backups=["rotation:nightly"]),
         "policies.default.backups[0]", "no rotation 'nightly'"),
        (lambda d: d["hotline"].update(policy="gold"), "hotline.policy", "no policy 'gold'"),
        (lambda d: d["rotations"]["primary"].update(timezone="Mars/Olympus"),
         "rotations.primary.timezone", "unknown time zone"),
        (lambda d: d["rotations"]["primary"].update(shift="forever"),
         "rotations.primary.shift", "forever"),
        (lambda d: d["people"]["bob"].update(phone="call me"), "people.bob.phone", "not a phone"),
        (lambda d: d["contracts"]["globex"].update(numbers=["+49 30 1234567"]),
         "contracts.globex.numbers[0]", "already listed under contracts.acme.numbers[0]"),
        (lambda d: d["contracts"]["globex"].update(pin="4711"), "contracts.globex.pin", "same PIN"),
        (lambda d: d.setdefault("prompts", {}).update(greeting="Hi {customr}"),
         "prompts.greeting", "unknown placeholder"),
        (lambda d: d.setdefault("prompts", {}).update(
            greeting="Hello {customer}, thank you so much for calling, we are now going to try "
                     "to reach somebody for you, please stay on the line"),
         "prompts.greeting", "keep it under 4 s"),
        (lambda d: d.setdefault("prompts", {}).update(welcome="Hi"), "prompts.welcome", "unknown prompt"),
        (lambda d: d.setdefault("notifications", {}).update(admins=["carol", "zoe"]),
         "notifications.admins[1]", "no person 'zoe'"),
    ],
)
def test_cross_reference_errors_name_the_key(change, key: str, fragment: str) -> None:  # type: ignore[no-untyped-def]
    found = problems_of(with_change(TEST_CONFIG, change))
    assert key in found, found
    assert fragment in found[key]


def test_policy_with_nobody_to_ring_is_rejected() -> None:
    def change(d):  # type: ignore[no-untyped-def]
        d["rotations"]["primary"]["participants"] = []
        d["policies"]["default"]["backups"] = ["next"]
        d["policies"]["default"].pop("cio")
    assert "nobody to ring" in problems_of(with_change(TEST_CONFIG, change))["policies.default"]


def test_policy_relying_on_a_rotation_with_gaps_is_rejected() -> None:
    def change(d):  # type: ignore[no-untyped-def]
        d["rotations"]["primary"]["active"] = ["18:00", "08:00"]
        d["policies"]["default"]["backups"] = ["next"]
        d["policies"]["default"].pop("cio")
    assert "gaps" in problems_of(with_change(TEST_CONFIG, change))["policies.default"]


def blocklisted(*entries: str) -> bytes:
    return with_change(TEST_CONFIG, lambda d: d.update(security={"blocklist": list(entries)}))


def test_a_whole_country_can_be_blocked() -> None:
    security = parse_config(blocklisted("+7", "+1", "+44 20")).security
    assert security.blocks("+74951234567") and security.blocks("+12125550100")
    assert security.blocks("+442071234567") and not security.blocks("+441612345678")
    assert not security.blocks("+4930123456") and not security.blocks(None)


@pytest.mark.parametrize("entry", ["", "+", "7", "0049", "+0", "+07", "+28", "++7", "+7+",
                                   "+49 abc", "+49\n", "+1234567890123456"])
def test_blocklist_garbage_is_refused(entry: str) -> None:
    found = problems_of(blocklisted("+49", entry))
    assert list(found) == ["security.blocklist[1]"], found
    assert "write an E.164 number or prefix with its country code" in found["security.blocklist[1]"]


def test_unreadable_and_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "missing.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("[hotline\nname=1")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(broken)


def test_yaml_file_is_equivalent(tmp_path: Path) -> None:
    import yaml

    data = tomllib.loads(TEST_CONFIG.read_text())
    target = tmp_path / "hotline.yaml"
    target.write_text(yaml.safe_dump(data))
    assert load_config(target).contracts == load_config(TEST_CONFIG).contracts
