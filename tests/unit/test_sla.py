"""The SLA calculator over tables of calls, targets in the configuration, exports."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from app.config import load_config, parse_config
from app.contracts import DEFAULT_TARGETS, AnswerTarget, Counted, Tier
from app.schedule.periods import parse_period
from app.sla.export import CSV_COLUMNS, duration, report_json, report_text, reports_csv
from app.sla.hours import outside_hours
from app.sla.report import CallRecord, SlaReport, quantile, sla_report
from tests.support.config_changes import problems_of, with_change
from tests.support.constants import TEST_CONFIG

BERLIN = ZoneInfo("Europe/Berlin")
T0 = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
DECEMBER = parse_period("2026-12")
ALL_60 = AnswerTarget(60, 90.0, Counted.ALL)
IN_HOURS_60 = AnswerTarget(60, 90.0, Counted.IN_HOURS)


def call(n: int, outcome: str | None, tta: float | None = None, *, late: bool = False,
         waited: float | None = None, handled: float | None = None) -> CallRecord:
    """Call ``n``, ``n`` hours after T0, lasting a minute."""
    started = T0 + timedelta(hours=n)
    ended = started + timedelta(minutes=1)
    return CallRecord(f"CA{n:032d}", started, outcome, tta, tta if waited is None else waited,
                      late, "+49301234567", None, ended,
                      None if handled is None else ended + timedelta(seconds=handled))


def answered(*times: float) -> list[CallRecord]:
    return [call(i, "connected", t) for i, t in enumerate(times)]


def run(records: list[CallRecord], target: AnswerTarget = ALL_60) -> SlaReport:
    return sla_report("acme", "ACME", target, DECEMBER, records)


CASES: list[tuple[str, list[CallRecord], AnswerTarget, dict[str, Any]]] = [
    ("no calls: nothing to measure", [], ALL_60,
     {"calls": 0, "counted": 0, "met": None, "answer_rate": None, "median": None}),
    ("answered at exactly the target counts as within", answered(60.0, 60.001), ALL_60,
     {"answered_within": 1, "within_rate": 0.5, "met": False, "longest": 60.001}),
    ("nine of ten within: 90 % met, exactly", answered(*[10.0] * 9, 61.0), ALL_60,
     {"answered_within": 9, "met": True, "answer_rate": 1.0}),
    ("eight of ten within: not met", answered(*[10.0] * 8, 61.0, 90.0), ALL_60,
     {"answered_within": 8, "met": False}),
    ("median and p90 interpolated", answered(10.0, 20.0, 30.0, 40.0), ALL_60,
     {"median": 25.0, "p90": 37.0, "longest": 40.0}),
    ("missed calls count against the rate", [*answered(5.0), call(5, "voicemail", waited=80.0),
                                             call(6, "abandoned", waited=12.0)], ALL_60,
     {"counted": 3, "answered": 1, "answer_rate": pytest.approx(1 / 3), "missed_counted": 2,
      "met": False}),
    ("rejected and unfinished calls never count", [*answered(5.0), call(5, "rejected"),
                                                   call(6, None)], ALL_60,
     {"calls": 3, "counted": 1, "rejected": 1, "in_progress": 1, "met": True}),
    ("in hours only: out-of-hours calls are reported, not counted",
     [*answered(5.0), call(5, "connected", 200.0, late=True), call(6, "voicemail", late=True)],
     IN_HOURS_60,
     {"counted": 1, "met": True, "out_of_hours": 2, "out_of_hours_answered": 1,
      "missed_counted": 0, "voicemails": 1}),
    ("every call: out-of-hours calls count too",
     [*answered(5.0), call(5, "connected", 200.0, late=True), call(6, "voicemail", late=True)],
     ALL_60,
     {"counted": 3, "answered": 2, "answered_within": 1, "met": False, "out_of_hours": 2}),
    ("voicemails and how long until handled",
     [call(1, "voicemail", handled=600.0), call(2, "voicemail", handled=3600.0),
      call(3, "voicemail")], ALL_60,
     {"voicemails": 3, "voicemails_handled": 2, "handled_median": 2100.0,
      "handled_longest": 3600.0}),
]


@pytest.mark.parametrize(("records", "target", "expected"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_report_table(records: list[CallRecord], target: AnswerTarget,
                      expected: dict[str, Any]) -> None:
    report = run(records, target)
    assert {name: getattr(report, name) for name in expected} == expected
    assert run(list(reversed(records)), target) == report  # order of the rows does not matter


def test_missed_calls_listed_oldest_first_with_waits() -> None:
    records = [call(9, "abandoned", waited=31.5), call(2, "voicemail", waited=80.0, late=True,
                                                       handled=120.0)]
    report = run(records, IN_HOURS_60)
    assert [(m.outcome, m.waited, m.counted, m.handled_after) for m in report.missed] == [
        ("voicemail", 80.0, False, 120.0), ("abandoned", 31.5, True, None)]


def test_quantile_matches_the_overview() -> None:
    assert quantile([], 0.5) is None
    assert quantile([7.0], 0.9) == 7.0
    assert quantile([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0], 0.9) == pytest.approx(9.1)


# --- which calls were out of hours ----------------------------------------------------------

def test_out_of_hours_for_a_24_7_contract_follows_the_business_hours() -> None:
    config = load_config(TEST_CONFIG)
    outside = outside_hours(config, config.contracts["acme"])
    weekday = CallRecord("CA1", datetime(2026, 12, 2, 10, 0, tzinfo=BERLIN), "connected")
    saturday = CallRecord("CA2", datetime(2026, 12, 5, 10, 0, tzinfo=BERLIN), "connected")
    christmas = CallRecord("CA3", datetime(2026, 12, 25, 10, 0, tzinfo=BERLIN), "connected")
    assert [outside(r) for r in (weekday, saturday, christmas)] == [False, True, True]


def test_out_of_hours_for_a_business_hours_contract_is_what_the_caller_heard() -> None:
    config = load_config(TEST_CONFIG)
    outside = outside_hours(config, config.contracts["globex"])
    saturday = CallRecord("CA2", datetime(2026, 12, 5, 10, 0, tzinfo=BERLIN), "connected")
    assert outside(saturday) is False  # the log says the hotline served it
    assert outside(CallRecord("CA3", T0, "voicemail", out_of_hours=True)) is True


# --- targets in the configuration -----------------------------------------------------------

def test_default_targets_per_tier() -> None:
    config = load_config(TEST_CONFIG)
    assert config.contracts["acme"].answer_target == DEFAULT_TARGETS[Tier.ALWAYS] == AnswerTarget(
        60, 90.0, Counted.ALL)
    assert config.contracts["globex"].answer_target == AnswerTarget(120, 80.0, Counted.IN_HOURS)


def test_contract_keys_over_tier_keys_over_defaults() -> None:
    def change(d: dict[str, Any]) -> None:
        d["sla"] = {"24/7": {"answer_seconds": 30}, "business-hours": {"answer_percent": 95}}
        d["contracts"]["acme"]["sla"] = {"answer_percent": 99.5, "counts": "in-hours"}
    config = parse_config(with_change(TEST_CONFIG, change), source="t.toml")
    assert config.contracts["acme"].answer_target == AnswerTarget(30, 99.5, Counted.IN_HOURS)
    assert config.contracts["globex"].answer_target == AnswerTarget(120, 95.0, Counted.IN_HOURS)


@pytest.mark.parametrize(("change", "key", "fragment"), [
    (lambda d: d["contracts"]["acme"].update(sla={"answer_percent": 0}),
     "contracts.acme.sla.answer_percent", "greater than 0"),
    (lambda d: d["contracts"]["acme"].update(sla={"answer_percent": 101}),
     "contracts.acme.sla.answer_percent", "less than or equal to 100"),
    (lambda d: d["contracts"]["acme"].update(sla={"answer_seconds": 0}),
     "contracts.acme.sla.answer_seconds", "greater than or equal to 1"),
    (lambda d: d["contracts"]["acme"].update(sla={"counts": "sometimes"}),
     "contracts.acme.sla.counts", "'all' or 'in-hours'"),
    (lambda d: d["contracts"]["acme"].update(sla={"answer_within": 60}),
     "contracts.acme.sla.answer_within", "unknown key"),
    (lambda d: d.update(sla={"gold": {"answer_seconds": 10}}), "sla.gold.[key]", "'24/7' or"),
])
def test_bad_targets_name_their_key(change: Any, key: str, fragment: str) -> None:
    found = problems_of(with_change(TEST_CONFIG, change))
    assert key in found, found
    assert fragment in found[key]


def test_in_hours_counting_needs_business_hours() -> None:
    def change(d: dict[str, Any]) -> None:
        del d["hotline"]["business_hours"]
        d["contracts"]["globex"]["business_hours"] = "office"
        d["sla"] = {"24/7": {"counts": "in-hours"}}
    found = problems_of(with_change(TEST_CONFIG, change))
    assert list(found) == ['sla."24/7".counts'], found
    assert "contracts.acme.business_hours" in found['sla."24/7".counts']


# --- exports --------------------------------------------------------------------------------

def sample() -> SlaReport:
    return run([*answered(12.0, 75.0), call(5, "voicemail", waited=94.0, handled=1800.0)])


def test_json_and_csv_carry_the_same_figures() -> None:
    report = sample()
    data = json.loads(json.dumps(report_json(report, BERLIN)))
    assert data["target"] == {"seconds": 60, "percent": 90.0, "counts": "all", "met": False}
    assert (data["calls"], data["counted"], data["answered"], data["answered_within_target"]) == (
        3, 3, 2, 1)
    assert data["time_to_answer"] == {"median": 43.5, "p90": 68.7, "max": 75.0}
    (missed,) = data["missed"]["calls"]
    assert missed["started_at"] == "2026-12-02T15:00:00+01:00"  # the hotline's zone
    assert (missed["waited_seconds"], missed["handled_after_seconds"]) == (94.0, 1800.0)
    (row,) = list(csv.DictReader(io.StringIO(reports_csv([report], BERLIN))))
    assert list(row) == list(CSV_COLUMNS)
    assert (row["calls"], row["answered_within_target"], row["target_met"], row["answer_rate"],
            row["missed_voicemail"], row["handled_median_seconds"]) == (
        "3", "1", "no", "0.6667", "1", "1800.0")


def test_text_names_the_verdict_and_the_missed_calls() -> None:
    text = report_text(sample(), BERLIN)
    assert "target: 90 % of calls answered within 60 s (every call counts): missed" in text
    assert "2026-12-02 15:00:00  +49301234567  voicemail, waited 1 min 34 s, handled after " \
           "30 min 00 s" in text


@pytest.mark.parametrize(("seconds", "text"), [
    (None, "–"), (0.4, "0 s"), (59.6, "1 min 00 s"), (61, "1 min 01 s"), (3600, "1 h 00 min"),
    (7325, "2 h 02 min"), (90000, "1 d 1 h"),
])
def test_durations(seconds: float | None, text: str) -> None:
    assert duration(seconds) == text
