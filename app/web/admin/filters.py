"""The call list's filters: read from query arguments, turned into one SQL query, paginated."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, exists, func, literal, select
from sqlalchemy.orm import Session, selectinload

from app.calls import events as ev
from app.contracts import normalise_number
from app.feeds.window import parse_bound
from app.storage.models import Attempt, Call
from app.storage.waiting import MISSED_OUTCOMES

MISSED = "missed"
IN_PROGRESS = "in-progress"
OUTCOMES = (ev.OUTCOME_CONNECTED, MISSED, ev.OUTCOME_VOICEMAIL, ev.OUTCOME_ABANDONED,
            ev.OUTCOME_CALLBACK, ev.OUTCOME_CALLED_BACK, ev.OUTCOME_REJECTED, IN_PROGRESS)
PER_PAGE, MAX_PER_PAGE = 50, 200
PAGES_AHEAD = 20  # counted past the page shown; beyond, "more than"
_FIELDS = ("from", "to", "contract", "outcome", "engineer", "number", "caller")


@dataclass(frozen=True)
class CallFilter:
    """What the list shows; ``start``/``end`` are UTC instants, end excluded."""

    start: datetime | None = None
    end: datetime | None = None
    contract: str | None = None
    outcome: str | None = None
    engineer: str | None = None
    number: str | None = None
    caller: str | None = None
    page: int = 1
    per_page: int = PER_PAGE
    texts: tuple[tuple[str, str], ...] = ()  # the arguments as given, for links and the form

    def args(self, **changes: str | int) -> dict[str, str]:
        """Query arguments reproducing this filter (``changes`` applied), for links."""
        out = dict(self.texts)
        out.update({k: str(v) for k, v in changes.items()})
        return {k: v for k, v in out.items() if v}

    def value(self, name: str) -> str:
        return dict(self.texts).get(name, "")

    def with_page(self, page: int) -> CallFilter:
        return replace(self, page=page)

    def as_dict(self) -> dict[str, object]:
        data = asdict(self)
        del data["texts"]
        return data


def parse_filter(args: Mapping[str, str], tz: ZoneInfo, default_region: str,
                 max_per_page: int = MAX_PER_PAGE) -> tuple[CallFilter, list[str]]:
    """The filter the arguments ask for, and what was wrong with them (ignored parts)."""
    errors: list[str] = []
    texts = tuple((k, args.get(k, "").strip()[:100]) for k in _FIELDS if args.get(k, "").strip())
    given = dict(texts)
    start = _bound(given.get("from"), tz, False, "from", errors)
    end = _bound(given.get("to"), tz, True, "to", errors)
    if start and end and end <= start:
        errors.append("'to' must not be before 'from'")
        start = end = None
    outcome = given.get("outcome") or None
    if outcome and outcome not in OUTCOMES:
        errors.append(f"unknown outcome {outcome!r}")
        outcome = None
    caller = _caller_digits(given.get("caller"), default_region)
    page = _int(args.get("page"), 1, 1, 1_000_000)
    per_page = _int(args.get("per_page"), min(PER_PAGE, max_per_page), 1, max_per_page)
    return CallFilter(start, end, given.get("contract") or None, outcome,
                      given.get("engineer") or None, given.get("number") or None, caller,
                      page, per_page, texts), errors


def _bound(text: str | None, tz: ZoneInfo, end: bool, name: str,
           errors: list[str]) -> datetime | None:
    if not text:
        return None
    try:
        return parse_bound(text, tz, end=end)
    except ValueError as exc:
        errors.append(f"{name}: {exc}")
        return None


def _caller_digits(text: str | None, region: str) -> str | None:
    """A caller search: a number written with its prefix (+49..., 030...) in any format is
    its E.164 form (found through an index); other text, as digits, matches anywhere."""
    if not text:
        return None
    e164 = normalise_number(text, region) if text.lstrip()[:1] in ("+", "0") else None
    if e164:
        return e164
    return re.sub(r"\D", "", text) or text


def _int(text: str | None, default: int, low: int, high: int) -> int:
    try:
        return min(max(int(text or default), low), high)
    except ValueError:
        return default


# Newest first. Plain DESC, no NULLS LAST: both databases then read it backwards off the
# started_at indexes (a call without a start yet sorts last on SQLite, first on PostgreSQL).
NEWEST_FIRST = (Call.started_at.desc(), Call.call_sid.desc())


def call_conditions(f: CallFilter) -> list[ColumnElement[bool]]:
    """The WHERE terms of ``f``, each one an index can serve (decision 0021)."""
    terms: list[ColumnElement[bool]] = []
    if f.start is not None:
        terms.append(Call.started_at >= f.start)
    if f.end is not None:
        terms.append(Call.started_at < f.end)
    if f.contract:
        terms.append(Call.contract == f.contract)
    if f.outcome == MISSED:
        terms.append(Call.outcome.in_(MISSED_OUTCOMES))
    elif f.outcome == IN_PROGRESS:
        terms.append(Call.outcome.is_(None))
    elif f.outcome:
        terms.append(Call.outcome == f.outcome)
    if f.engineer:
        terms.append(exists().where(Attempt.person == f.engineer,
                                    Attempt.call_sid == Call.call_sid))
    if f.number:
        terms.append(Call.hotline_number == f.number)
    if f.caller and f.caller.startswith("+"):
        terms.append(Call.caller == f.caller)
    elif f.caller:
        terms.append(Call.caller.contains(f.caller, autoescape=True))
    return terms


def calls_query(f: CallFilter) -> Select[Call]:
    """The calls matching ``f``, newest first."""
    return select(Call).where(*call_conditions(f)).order_by(*NEWEST_FIRST)


@dataclass(frozen=True)
class Page:
    """One page of calls; ``total`` is exact unless ``more`` (then there are more than that)."""

    calls: list[Call]
    total: int
    page: int
    per_page: int
    more: bool = False

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def page_of_calls(session: Session, f: CallFilter) -> Page:
    """The page ``f`` asks for, counted up to ``PAGES_AHEAD`` pages past it: a page costs what
    it shows and the pages up to it, never the whole log."""
    stmt = calls_query(f)
    offset = (f.page - 1) * f.per_page
    cap = offset + PAGES_AHEAD * f.per_page
    counted = (select(literal(1)).select_from(Call).where(*call_conditions(f))
               .limit(cap + 1).subquery())
    total = int(session.scalar(select(func.count()).select_from(counted)) or 0)
    rows = session.scalars(stmt.options(selectinload(Call.attempts))
                           .limit(f.per_page).offset(offset))
    return Page(list(rows), min(total, cap), f.page, f.per_page, more=total > cap)
