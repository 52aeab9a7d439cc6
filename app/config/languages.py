"""The languages a file speaks: each line's prompt sets with the file's overrides, and their checks."""

from __future__ import annotations

from collections.abc import Mapping

from app.config.schema import ConfigFile, LineSection, PromptTables
from app.prompts import SHIPPED, Speech, build_speech, language_code, tag_problem, text_problems

Problems = list[tuple[str, str]]
MAX_CHOICES = 9  # one key each


def speech_map(cfg: ConfigFile, line: LineSection | None = None) -> dict[str, Speech]:
    """Every language the default line (or ``line``) may speak, by code and by each tag the
    file uses: shipped texts, then ``[prompts]``, then the line's own ``prompts``."""
    own = (line.language if line else None) or cfg.hotline.language
    tables = [_by_code(cfg.prompts, cfg.hotline.language)]
    if line is not None:
        tables.append(_by_code(line.prompts, own))
    tags = {*SHIPPED, own, cfg.hotline.language, *_tags_used(cfg)}
    speech: dict[str, Speech] = {}
    for tag in sorted(tags):
        code = language_code(tag)
        overrides = {name: text for table in tables for name, text in table.get(code, {}).items()}
        speech[tag] = build_speech(tag, overrides, _voice(cfg, tag))
    return speech


def choice_of(cfg: ConfigFile, line: LineSection | None = None) -> tuple[tuple[str, ...], bool]:
    """The languages a line offers by key, and whether it offers them."""
    languages = line.languages if line and line.languages is not None else cfg.hotline.languages
    chosen = line.language_choice if line and line.language_choice is not None else None
    return tuple(languages), cfg.hotline.language_choice if chosen is None else chosen


def check_languages(cfg: ConfigFile) -> Problems:
    """Every language named is a shipped one, and every override is a known text."""
    problems: Problems = []
    for key, tag in _named(cfg):
        if problem := tag_problem(tag):
            problems.append((key, problem))
    tables = [("prompts", cfg.prompts)]
    tables += [(f"lines.{lid}.prompts", ln.prompts) for lid, ln in cfg.lines.items()]
    for prefix, table in tables:
        problems += _table_problems(prefix, table)
    for prefix, (languages, offered) in [("hotline", choice_of(cfg))] + [
            (f"lines.{lid}", choice_of(cfg, ln)) for lid, ln in cfg.lines.items()]:
        if offered and not 1 < len(languages) <= MAX_CHOICES:
            problems.append((f"{prefix}.languages", f"a language choice needs 2 to {MAX_CHOICES} "
                             "languages (each gets a key)"))
    return problems


def _table_problems(prefix: str, table: PromptTables) -> Problems:
    problems: Problems = []
    for name, value in table.items():
        if isinstance(value, dict):
            if name not in SHIPPED:
                problems.append((f"{prefix}.{name}", f"no prompts in language {name!r}; shipped: "
                                 f"{', '.join(SHIPPED)}"))
                continue
            problems += [(f"{prefix}.{name}.{text_name}", problem)
                         for text_name, text in value.items()
                         for problem in text_problems(text_name, text)]
        else:
            problems += [(f"{prefix}.{name}", problem) for problem in text_problems(name, value)]
    return problems


def _by_code(table: PromptTables, own: str) -> dict[str, dict[str, str]]:
    """A prompts table as overrides per language code; plain texts are ``own``'s."""
    found: dict[str, dict[str, str]] = {}
    for name, value in table.items():
        if isinstance(value, dict):
            found.setdefault(name, {}).update(value)
        else:
            found.setdefault(language_code(own), {})[name] = value
    return found


def _voice(cfg: ConfigFile, tag: str) -> str | None:
    voices: Mapping[str, str] = cfg.hotline.voices
    code = language_code(tag)
    if tag in voices or code in voices:
        return voices.get(tag) or voices[code]
    return cfg.hotline.voice if code == language_code(cfg.hotline.language) else None


def _named(cfg: ConfigFile) -> list[tuple[str, str]]:
    named = [("hotline.language", cfg.hotline.language)]
    named += [(f"hotline.languages[{i}]", tag) for i, tag in enumerate(cfg.hotline.languages)]
    named += [(f"hotline.voices.{tag}", tag) for tag in cfg.hotline.voices]
    named += [(f"contracts.{cid}.language", c.language) for cid, c in cfg.contracts.items() if c.language]
    named += [(f"people.{pid}.language", p.language) for pid, p in cfg.people.items() if p.language]
    for lid, line in cfg.lines.items():
        if line.language:
            named.append((f"lines.{lid}.language", line.language))
        named += [(f"lines.{lid}.languages[{i}]", tag) for i, tag in enumerate(line.languages or [])]
    return named


def _tags_used(cfg: ConfigFile) -> set[str]:
    return {tag for _, tag in _named(cfg) if not tag_problem(tag)}
