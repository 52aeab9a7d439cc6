"""Languages in the configuration file: which prompts a line speaks, overrides per language and
what ``hotline check`` says about them; the chain's passes, wait limit and caller ID."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from click.testing import CliRunner

from app.cli import main
from app.config import parse_config
from tests.support.config_changes import problems_of, with_change
from tests.support.constants import TEST_CONFIG


def changed(change: Any) -> bytes:
    return with_change(TEST_CONFIG, change)


def test_overrides_apply_to_their_language_only() -> None:
    def change(d: dict[str, Any]) -> None:
        d["prompts"] = {"goodbye": "Bye now.", "de": {"goodbye": "Tschüss."},
                        "fr": {"screen": "Appel de {customer}. Tapez 1."}}
        d["lines"]["premium"]["prompts"]["de"] = {"greeting": "Premium für {customer}."}
    config = parse_config(changed(change))
    line, premium = config.default_line, config.lines["premium"]
    assert line.speaking("en-US").prompts.goodbye == "Bye now."
    assert line.speaking("de").prompts.goodbye == "Tschüss."
    assert line.speaking("fr").prompts.goodbye == "Au revoir."
    assert line.speaking("fr").prompts.screen == "Appel de {customer}. Tapez 1."
    assert line.speaking("de").prompts.greeting.startswith("Guten Tag")
    assert premium.speaking("de").prompts.greeting == "Premium für {customer}."
    assert premium.speaking("de").prompts.goodbye == "Tschüss."
    # the line's plain texts are in its own language (English here), not in German
    assert premium.prompts.greeting == "Premium support for {customer}. Connecting you now."


def test_a_tag_speaks_its_region_and_a_code_the_shipped_one() -> None:
    def change(d: dict[str, Any]) -> None:
        d["contracts"]["acme"]["language"] = "fr-CA"
        d["hotline"]["voices"] = {"fr": "Google.fr-FR-Standard-A"}
    config = parse_config(changed(change))
    canadian = config.default_line.speaking("fr-CA")
    assert (canadian.language, canadian.voice) == ("fr-CA", "Google.fr-FR-Standard-A")
    austrian = config.default_line.speaking("de-AT")  # not named in the file: the shipped set
    assert (austrian.language, austrian.voice) == ("de-DE", "Polly.Vicki-Neural")
    assert config.default_line.speaking("de").language == "de-DE"
    assert config.default_line.speaking("pt").language == "en-US"  # not shipped: the line's own


def test_the_hotline_voice_is_its_own_language_s() -> None:
    config = parse_config(changed(lambda d: d["hotline"].update(voice="Polly.Amy-Neural")))
    assert config.default_line.speaking(None).voice == "Polly.Amy-Neural"
    assert config.default_line.speaking("de").voice == "Polly.Vicki-Neural"


def test_check_names_each_bad_override_and_language() -> None:
    def change(d: dict[str, Any]) -> None:
        d["prompts"] = {"de": {"greeting": "Hallo {kunde}", "willkommen": "Hallo"},
                        "pt": {"greeting": "Olá"}, "voicemail": "Sorry {customer}"}
        d["contracts"]["acme"]["language"] = "sv"
        d["people"]["dana"]["language"] = "xx-YY"
        d["lines"]["premium"]["prompts"]["nl"] = {"screen": "Oproep {klant}"}
        d["lines"]["premium"]["language"] = "de-CH"
    problems = problems_of(changed(change))
    assert "unknown placeholder(s) ['kunde']" in problems["prompts.de.greeting"]
    assert problems["prompts.de.willkommen"].startswith("unknown prompt")
    assert "no prompts in language 'pt'" in problems["prompts.pt"]
    assert "unknown placeholder(s) ['customer']" in problems["prompts.voicemail"]
    assert "'sv': no prompts in that language" in problems["contracts.acme.language"]
    assert "'xx-YY'" in problems["people.dana.language"]
    assert "Twilio speaks 'de' as de-DE, de-AT" in problems["lines.premium.language"]
    assert "['klant']" in problems["lines.premium.prompts.nl.screen"]


def test_a_long_override_of_a_used_language_is_refused() -> None:
    def change(d: dict[str, Any]) -> None:
        d["contracts"]["acme"]["language"] = "de"
        d["prompts"] = {"de": {"greeting": "Guten Tag {customer}, schön, dass Sie anrufen, wir "
                                           "verbinden Sie jetzt gleich mit unserem Techniker."}}
    assert "keep it under 4 s" in problems_of(changed(change))["prompts.de.greeting"]


def test_a_language_choice_needs_two_languages() -> None:
    def change(d: dict[str, Any]) -> None:
        d["hotline"].update(language_choice=True, languages=["de"])
        d["lines"]["premium"].update(language_choice=True, languages=["en", "de", "fr"])
    problems = problems_of(changed(change))
    assert "2 to 9 languages" in problems["hotline.languages"]
    assert "lines.premium.languages" not in problems


def test_policy_passes_wait_and_caller_id_are_bounded() -> None:
    def change(d: dict[str, Any]) -> None:
        d["policies"]["default"].update(passes=6, max_wait_seconds=10, caller_id="engineer")
    problems = problems_of(changed(change))
    assert set(problems) >= {"policies.default.passes", "policies.default.max_wait_seconds",
                             "policies.default.caller_id"}
    good = parse_config(changed(lambda d: d["policies"]["default"].update(
        passes=3, max_wait_seconds=300, caller_id="customer")))
    assert (good.policy.passes, good.policy.max_wait_seconds, good.policy.caller_id) == (
        3, 300, "customer")
    assert parse_config(TEST_CONFIG.read_bytes()).policy.passes == 1


def test_hotline_check_reports_the_overrides(tmp_path: Path) -> None:
    path = tmp_path / "hotline.toml"
    path.write_bytes(changed(lambda d: d.update(prompts={"it": {"screen": "Chiamata {cliente}"}})))
    run = CliRunner().invoke(main, ["check", "--config", str(path)])
    assert run.exit_code != 0
    assert "prompts.it.screen: unknown placeholder(s) ['cliente']" in run.output
