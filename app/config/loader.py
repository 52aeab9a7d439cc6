"""Reads the configuration file, validates it and names the exact key and the fix on error."""

from __future__ import annotations

import hashlib
import re
import tomllib
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from app.config.alerts import check_alerts
from app.config.allowances import build_allowances, check_allowances
from app.config.checks import cross_check
from app.config.hours import build_office_hours
from app.config.languages import choice_of, speech_map
from app.config.model import HotlineConfig, HotlineSettings, Line, Security
from app.config.schema import ID_PATTERN, ConfigFile
from app.config.sla import answer_target, check_sla
from app.contracts import Contract, Tier, normalise_number
from app.escalation import BackupRef, Person, Policy
from app.schedule import Rotation, ShiftLength


class ConfigError(Exception):
    """The file is invalid; ``problems`` holds ``(key path, message)`` pairs."""

    def __init__(self, source: str, problems: list[tuple[str, str]]) -> None:
        self.source = source
        self.problems = problems
        lines = [f"{source}: {key or '(top level)'}: {message}" for key, message in problems]
        super().__init__("\n".join(lines))


def load_config(path: str | Path) -> HotlineConfig:
    """Load and validate the file at ``path`` (TOML, or YAML by its suffix)."""
    path = Path(path)
    try:
        text = path.read_bytes()
    except OSError as exc:
        raise ConfigError(str(path), [("", f"cannot read the file: {exc.strerror}")]) from exc
    return parse_config(text, source=str(path), yaml_format=path.suffix in (".yaml", ".yml"))


def parse_config(raw: bytes, source: str = "<config>", yaml_format: bool = False) -> HotlineConfig:
    data = _decode(raw, source, yaml_format)
    try:
        parsed = ConfigFile.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(source, [_describe(err) for err in exc.errors()]) from exc
    problems = (_check_ids(parsed) + cross_check(parsed) + check_alerts(parsed.alerts, parsed)
                + check_sla(parsed) + check_allowances(parsed.allowances, parsed))
    if problems:
        raise ConfigError(source, problems)
    return _build(parsed, hashlib.sha256(raw).hexdigest()[:12], source)


def _decode(raw: bytes, source: str, yaml_format: bool) -> dict[str, Any]:
    try:
        data = yaml.safe_load(raw) if yaml_format else tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ConfigError(source, [("", f"not valid {'YAML' if yaml_format else 'TOML'}: {exc}")]) from exc
    if not isinstance(data, dict):
        raise ConfigError(source, [("", "the file must hold a table of sections")])
    return data


def _describe(error: Any) -> tuple[str, str]:
    key = ".".join(str(part) for part in error["loc"])
    if error["type"] == "extra_forbidden":
        return key, "unknown key (check its spelling)"
    if error["type"] == "missing":
        return key, "required key is missing"
    return key, f"{error['msg']} (got {error.get('input')!r})"


def _check_ids(parsed: ConfigFile) -> list[tuple[str, str]]:
    problems = []
    for section in ("people", "rotations", "policies", "contracts", "business_hours", "lines"):
        for ident in getattr(parsed, section):
            if not re.match(ID_PATTERN, ident):
                problems.append((f"{section}.{ident}", "ids use lower-case letters, digits, - and _"))
    return problems


def _build(parsed: ConfigFile, version: str, source: str) -> HotlineConfig:
    section = parsed.hotline
    region = section.default_region

    def e164(raw: str) -> str:
        return normalise_number(raw, region) or raw

    hotline = HotlineSettings(
        name=section.name, numbers=tuple(e164(n) for n in section.numbers),
        default_region=region, timezone=section.timezone, language=section.language,
        voice=section.voice, ring_seconds=section.ring_seconds,
        voicemail_max_seconds=section.voicemail_max_seconds, pin_tries=section.pin_tries,
        unidentified=section.unidentified, policy=section.policy,
        business_hours=section.business_hours, languages=tuple(section.languages),
        language_choice=section.language_choice,
    )
    people = {
        pid: Person(pid, p.name, e164(p.phone), p.email, p.language) for pid, p in parsed.people.items()
    }
    rotations = {
        rid: Rotation(
            id=rid, participants=tuple(r.participants), timezone=r.timezone, start=r.start,
            handoff_time=r.handoff_time, shift=ShiftLength.parse(r.shift), active=r.active,
        )
        for rid, r in parsed.rotations.items()
    }
    policies = {
        pid: Policy(
            id=pid, rotation=p.rotation, backups=tuple(parse_backup(b) for b in p.backups),
            cio=p.cio, ring_seconds=p.ring_seconds or section.ring_seconds, passes=p.passes,
            max_wait_seconds=p.max_wait_seconds, caller_id=p.caller_id,
        )
        for pid, p in parsed.policies.items()
    }
    contracts = {
        cid: Contract(cid, c.name, c.pin, tuple(e164(n) for n in c.numbers), Tier(c.tier),
                      c.language, c.business_hours, answer_target(Tier(c.tier), parsed.sla, c.sla))
        for cid, c in parsed.contracts.items()
    }
    lines = {
        lid: Line(lid, tuple(e164(n) for n in ln.numbers), ln.name or section.name,
                  ln.policy or section.policy, speech_map(parsed, ln),
                  ln.business_hours or section.business_hours, ln.language or section.language,
                  *choice_of(parsed, ln))
        for lid, ln in parsed.lines.items()
    }
    office_hours = build_office_hours(parsed.business_hours)
    return HotlineConfig(
        hotline=hotline, people=people, rotations=rotations, policies=policies,
        contracts=contracts, speech=speech_map(parsed), version=version, source=source,
        lines=lines, business_hours=office_hours,
        security=_security(parsed), notifications=parsed.notifications, alerts=parsed.alerts,
        callbacks=parsed.callbacks,
        allowances=build_allowances(parsed.allowances, office_hours, section.business_hours),
    )


def _security(parsed: ConfigFile) -> Security:
    section = parsed.security
    prefixes = tuple("+" + "".join(ch for ch in entry if ch in "0123456789") for entry in section.blocklist)
    return Security(prefixes, section.max_call_minutes, section.pin_failures_per_caller,
                    section.pin_failures_global, section.busy_engineers_skipped)


def parse_backup(text: str) -> BackupRef:
    if text == "next":
        return BackupRef("next")
    if text.startswith("rotation:"):
        return BackupRef("rotation", text.removeprefix("rotation:"))
    return BackupRef("person", text.removeprefix("person:"))
