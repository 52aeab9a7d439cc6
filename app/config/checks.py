"""Cross-reference checks the schema cannot express: ids that must exist, numbers, uniqueness."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers

from app.config.hours import check_hours
from app.config.languages import check_languages, speech_map
from app.config.schema import ConfigFile
from app.contracts import normalise_number
from app.prompts import fill, language_code, spoken_seconds
from app.schedule import ShiftLength

Problems = list[tuple[str, str]]
GREETING_LIMIT_SECONDS = 4.5


def cross_check(cfg: ConfigFile) -> Problems:
    return (
        _check_zones(cfg) + _check_numbers(cfg) + _check_references(cfg)
        + _check_reachability(cfg) + _check_prompts(cfg) + check_hours(cfg.business_hours)
        + _check_hours_references(cfg) + _check_lines(cfg) + _check_blocklist(cfg)
    )


def _zone_ok(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _check_zones(cfg: ConfigFile) -> Problems:
    zones = {"hotline.timezone": cfg.hotline.timezone}
    zones |= {f"rotations.{rid}.timezone": r.timezone for rid, r in cfg.rotations.items()}
    return [(k, f"unknown time zone {v!r} (use an IANA name such as Europe/Berlin)")
            for k, v in zones.items() if not _zone_ok(v)]


def _check_numbers(cfg: ConfigFile) -> Problems:
    region = cfg.hotline.default_region
    problems: Problems = []
    owners: dict[str, str] = {}
    numbered = [(f"hotline.numbers[{i}]", n) for i, n in enumerate(cfg.hotline.numbers)]
    numbered += [(f"people.{pid}.phone", p.phone) for pid, p in cfg.people.items()]
    for cid, contract in cfg.contracts.items():
        numbered += [(f"contracts.{cid}.numbers[{i}]", n) for i, n in enumerate(contract.numbers)]
    for key, raw in numbered:
        e164 = normalise_number(raw, region)
        if e164 is None:
            problems.append((key, f"{raw!r} is not a phone number (write it as +<country><number>)"))
        elif key.startswith("contracts.") and e164 in owners:
            problems.append((key, f"{e164} is already listed under {owners[e164]}"))
        elif not key.startswith("people."):
            owners[e164] = key
    pins: dict[str, str] = {}
    for cid, contract in cfg.contracts.items():
        if contract.pin in pins:
            problems.append((f"contracts.{cid}.pin", f"same PIN as contracts.{pins[contract.pin]}"))
        pins[contract.pin] = cid
    return problems


def _check_references(cfg: ConfigFile) -> Problems:
    problems: Problems = []
    if cfg.hotline.policy not in cfg.policies:
        problems.append(("hotline.policy", f"no policy {cfg.hotline.policy!r} under [policies]"))
    for rid, rotation in cfg.rotations.items():
        for i, pid in enumerate(rotation.participants):
            if pid not in cfg.people:
                problems.append((f"rotations.{rid}.participants[{i}]", f"no person {pid!r}"))
        problems += _check_shift(f"rotations.{rid}.shift", rotation.shift)
    for pid, policy in cfg.policies.items():
        if policy.rotation not in cfg.rotations:
            problems.append((f"policies.{pid}.rotation", f"no rotation {policy.rotation!r}"))
        if policy.cio is not None and policy.cio not in cfg.people:
            problems.append((f"policies.{pid}.cio", f"no person {policy.cio!r}"))
        for i, ref in enumerate(policy.backups):
            problems += _check_backup(cfg, f"policies.{pid}.backups[{i}]", ref)
    for i, pid in enumerate(cfg.notifications.admins):
        if pid not in cfg.people:
            problems.append((f"notifications.admins[{i}]", f"no person {pid!r}"))
    return problems


def _check_shift(key: str, text: str) -> Problems:
    try:
        ShiftLength.parse(text)
    except ValueError as exc:
        return [(key, str(exc))]
    return []


def _check_backup(cfg: ConfigFile, key: str, ref: str) -> Problems:
    if ref == "next":
        return []
    if ref.startswith("rotation:"):
        name = ref.removeprefix("rotation:")
        return [] if name in cfg.rotations else [(key, f"no rotation {name!r}")]
    name = ref.removeprefix("person:")
    if name in cfg.people:
        return []
    return [(key, f"no person {name!r} (use a person id, 'next' or 'rotation:<id>')")]


def _check_reachability(cfg: ConfigFile) -> Problems:
    """A policy must always have somebody to ring, even when its rotations are empty."""
    problems: Problems = []
    for pid, policy in cfg.policies.items():
        named = [b for b in policy.backups if b != "next" and not b.startswith("rotation:")]
        rotations = [cfg.rotations.get(policy.rotation)]
        rotations += [cfg.rotations.get(b.removeprefix("rotation:")) for b in policy.backups
                      if b.startswith("rotation:")]
        always_covered = any(r and r.participants and r.active is None for r in rotations)
        if not policy.cio and not named and not always_covered:
            problems.append((f"policies.{pid}", "a call can find nobody to ring (empty rotations "
                             "or gaps in their hours): add a cio or a named backup"))
    return problems


def _check_prompts(cfg: ConfigFile) -> Problems:
    problems = check_languages(cfg)
    if problems:
        return problems
    longest = max((c.name for c in cfg.contracts.values()), key=len, default="")
    own = language_code(cfg.hotline.language)
    used = {own, *(language_code(c.language) for c in cfg.contracts.values() if c.language),
            *(language_code(ln.language) for ln in cfg.lines.values() if ln.language)}
    speech = speech_map(cfg)
    for code in sorted(used):
        greeting = speech[code].prompts.greeting
        seconds = spoken_seconds(fill(greeting, customer=longest, tier="24/7", hotline=cfg.hotline.name))
        if seconds > GREETING_LIMIT_SECONDS:
            key = "prompts.greeting" if code == own else f"prompts.{code}.greeting"
            problems.append((key, f"takes about {seconds:.1f} s to say; keep it under "
                             f"{GREETING_LIMIT_SECONDS:.0f} s so the first phone rings quickly"))
    return problems


def _check_hours_references(cfg: ConfigFile) -> Problems:
    problems: Problems = []
    refs = [("hotline.business_hours", cfg.hotline.business_hours)]
    refs += [(f"contracts.{cid}.business_hours", c.business_hours) for cid, c in cfg.contracts.items()]
    refs += [(f"lines.{lid}.business_hours", ln.business_hours) for lid, ln in cfg.lines.items()]
    for key, ref in refs:
        if ref is not None and ref not in cfg.business_hours:
            problems.append((key, f"no business hours {ref!r} under [business_hours]"))
    for cid, contract in cfg.contracts.items():
        if contract.tier == "business-hours" and not (
            contract.business_hours or cfg.hotline.business_hours
        ):
            problems.append((f"contracts.{cid}.business_hours", "a business-hours contract needs "
                             "business hours: set it here or in hotline.business_hours"))
    return problems


def _check_lines(cfg: ConfigFile) -> Problems:
    problems: Problems = []
    seen: dict[str, str] = {}
    for lid, line in cfg.lines.items():
        if line.policy is not None and line.policy not in cfg.policies:
            problems.append((f"lines.{lid}.policy", f"no policy {line.policy!r} under [policies]"))
        for i, raw in enumerate(line.numbers):
            key = f"lines.{lid}.numbers[{i}]"
            e164 = normalise_number(raw, cfg.hotline.default_region)
            if e164 is None:
                problems.append((key, f"{raw!r} is not a phone number"))
            elif e164 in seen:
                problems.append((key, f"{e164} already belongs to {seen[e164]}"))
            else:
                seen[e164] = key
    return problems


def _check_blocklist(cfg: ConfigFile) -> Problems:
    problems: Problems = []
    for i, entry in enumerate(cfg.security.blocklist):
        if not _blockable_prefix(entry):
            problems.append((f"security.blocklist[{i}]", f"{entry!r}: write an E.164 number or "
                             "prefix with its country code, such as '+7', '+1900' or "
                             "'+4915112345678'"))
    return problems


def _blockable_prefix(entry: str) -> bool:
    """``+``, then up to 15 digits (spaces, dashes, brackets allowed) that begin with a country
    code: ``+7`` (a whole country) as well as a full number."""
    text = entry.strip(" ")
    digits = "".join(ch for ch in text if ch in "0123456789")
    if not text.startswith("+") or any(ch not in "0123456789 -()" for ch in text[1:]):
        return False
    return 1 <= len(digits) <= 15 and any(digits[:n] in _COUNTRY_CODES for n in (1, 2, 3))


_COUNTRY_CODES = frozenset(str(code) for code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE)
