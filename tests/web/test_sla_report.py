"""SLA reports outside the calculator: the API route, the console page and its CSV, the CLI."""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask

from app.cli import main
from app.config import HotlineConfig
from app.devtools.simulator import CallResult
from app.settings import Settings
from app.sla.histogram import tenths_up_counts
from app.storage import get_engine
from app.web.admin.sla_chart import answer_time_chart, bucket_width, buckets
from tests.support.admin import add_engineer, sign_in
from tests.support.api import get, token_for
from tests.support.sla import (
    place,
    pressed_at,
    sla_config,
    sla_config_text,
    store_with_follow_ups,
)


@pytest.fixture
def config() -> HotlineConfig:
    return sla_config()


@pytest.fixture
def results(console: Flask, settings: Settings, config: HotlineConfig,
            admin_db_url: str) -> dict[str, CallResult]:
    """December's calls stored in the console's database."""
    events, placed = place(settings, config)
    store_with_follow_ups(get_engine(admin_db_url), events, placed)
    return placed


# --- API ------------------------------------------------------------------------------------

def test_the_api_needs_a_token(console: Flask, results: dict[str, CallResult]) -> None:
    for token in (None, "hl_not-a-token"):
        response = get(console, "/api/reports/sla?contract=acme&period=2026-12", token)
        assert response.status_code == 401 and response.json["error"] == "unauthorized"
    signed_in = console.test_client()
    sign_in(signed_in, "ann")
    assert signed_in.get("/api/reports/sla?contract=acme&period=2026-12").status_code == 401


def test_the_api_reports_a_contract_and_period(console: Flask, admin_db_url: str,
                                               results: dict[str, CallResult]) -> None:
    token = token_for(admin_db_url)
    data = get(console, "/api/reports/sla?contract=acme&period=2026-12", token).json
    assert (data["contract"], data["period"]["label"], data["period"]["timezone"]) == (
        "acme", "2026-12", "Europe/Berlin")
    assert data["target"] == {"seconds": 45, "percent": 50.0, "counts": "all", "met": True}
    assert (data["calls"], data["counted"], data["answered"], data["answered_within_target"]) == (
        7, 7, 5, 4)
    assert data["time_to_answer"]["max"] == pytest.approx(pressed_at(results["third-step"]), abs=0.5)
    assert [m["call_sid"] for m in data["missed"]["calls"]] == [
        results["hung-up"].call_sid, results["voicemail"].call_sid]
    assert data["missed"]["calls"][0]["started_at"] == "2026-12-04T10:00:00+01:00"
    assert data["url"].endswith("/admin/reports/sla?contract=acme&period=2026-12")
    dates = get(console, "/api/reports/sla?contract=acme&from=2026-12-01&to=2026-12-31", token)
    assert {k: v for k, v in dates.json.items() if k not in ("period", "url")} == {
        k: v for k, v in data.items() if k not in ("period", "url")}


def test_an_iso_week_is_a_period_too(console: Flask, admin_db_url: str,
                                     results: dict[str, CallResult]) -> None:
    token = token_for(admin_db_url)
    week = get(console, "/api/reports/sla?contract=acme&period=2026-W49", token).json
    assert week["period"] == {"label": "2026-W49", "first_day": "2026-11-30",
                              "last_day": "2026-12-06", "timezone": "Europe/Berlin"}
    dates = get(console, "/api/reports/sla?contract=acme&from=2026-11-30&to=2026-12-06", token).json
    assert week["calls"] > 0 and {k: v for k, v in week.items() if k not in ("period", "url")} == {
        k: v for k, v in dates.items() if k not in ("period", "url")}


@pytest.mark.parametrize(("query", "message"), [
    ("period=2026-12", "give a contract"),
    ("contract=initech&period=2026-12", "no contract 'initech'"),
    ("contract=acme", "give a period"),
    ("contract=acme&period=2026-13", "month must be in 1..12"),
    ("contract=acme&from=2026-12-01", "from/to"),
])
def test_the_api_says_what_is_wrong(console: Flask, admin_db_url: str, query: str,
                                    message: str) -> None:
    response = get(console, f"/api/reports/sla?{query}", token_for(admin_db_url))
    assert response.status_code == 400 and response.json["error"] == "bad_request"
    assert message in response.json["message"]


# --- the console page -----------------------------------------------------------------------

def test_the_page_needs_a_sign_in(console: Flask) -> None:
    response = console.test_client().get("/admin/reports/sla?contract=acme&period=2026-12")
    assert response.status_code == 303 and "/admin/login" in response.headers["Location"]


def test_engineers_do_not_see_customer_reports(console: Flask, admin_db_url: str) -> None:
    add_engineer(admin_db_url, "eng", "alice")
    client = console.test_client()
    sign_in(client, "eng")
    assert client.get("/admin/reports/sla?contract=acme&period=2026-12").status_code == 403
    assert client.get("/admin/reports/sla.csv?contract=acme&period=2026-12").status_code == 403


def test_the_page_shows_figures_chart_and_missed_calls(
        as_viewer: Any, results: dict[str, CallResult]) -> None:
    page = as_viewer.get("/admin/reports/sla?contract=globex&period=2026-12")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Globex: answer times, 2026-12" in html
    assert "Target: 80 % of calls answered within 120 s (calls in business hours count)" in html
    assert "Not met: 33.3 % of 3 counted calls answered within 120 s." in html
    assert 'href="/admin/static/sla.css"' in html
    assert html.count('class="f-answered"') == 1 and 'class="f-target"' in html  # the chart
    missed = re.findall(r'<td data-label="What happened">([^<]+)', html)
    assert [m.strip() for m in missed] == ["left a voicemail", "hung up while waiting",
                                           "left a voicemail"]
    assert "(out of hours, not counted)" in html and "handled after 2 h 00 min" in html
    assert f'/admin/calls/{results["g-hung-up"].call_sid}' in html


def test_the_page_lists_the_oldest_missed_calls_and_links_the_rest(
        as_viewer: Any, results: dict[str, CallResult], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("app.web.admin.sla.MISSED_LISTED", 2)
    html = as_viewer.get("/admin/reports/sla?contract=globex&period=2026-12").get_data(as_text=True)
    assert len(re.findall(r'<td data-label="What happened">', html)) == 2
    assert "The first 2 of 3 missed calls." in html
    assert "/admin/calls?contract=globex&amp;from=2026-12-01&amp;to=2026-12-31" in html
    assert f'/admin/calls/{results["g-voicemail"].call_sid}' not in html  # the newest
    assert "<dt>Missed</dt><dd>2</dd>" in html  # counted: the closed one's voicemail is not


def test_the_page_defaults_to_this_quarter_and_links_its_csv(
        as_admin: Any, results: dict[str, CallResult]) -> None:
    page = as_admin.get("/admin/reports/sla?contract=acme").get_data(as_text=True)
    assert "ACME: answer times, 2026-Q4" in page and "1 October 2026 to 31 December 2026" in page
    link = re.search(r'href="(/admin/reports/sla\.csv\?[^"]+)"', page)
    assert link is not None
    response = as_admin.get(link.group(1).replace("&amp;", "&"))
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert 'filename="sla-acme-2026-Q4.csv"' in response.headers["Content-Disposition"]
    (row,) = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert (row["contract"], row["calls"], row["counted"], row["target_met"]) == (
        "acme", "8", "8", "yes")


def test_a_bad_period_is_explained_on_the_page(as_admin: Any) -> None:
    page = as_admin.get("/admin/reports/sla?contract=acme&period=last+year")
    assert page.status_code == 400
    assert "write a month (2026-12), a quarter (2026-Q4)" in page.get_data(as_text=True)


def test_the_navigation_leads_to_the_report(as_admin: Any) -> None:
    page = as_admin.get("/admin/calls").get_data(as_text=True)
    assert re.search(r'<a href="/admin/reports/sla">SLA\s*</a>', page)
    report = as_admin.get("/admin/reports/sla").get_data(as_text=True)
    assert re.search(r'<a href="/admin/reports/sla" aria-current="page">SLA\s*</a>', report)


def test_contracts_and_calls_pages_link_to_the_report(as_admin: Any) -> None:
    contracts = as_admin.get("/admin/contracts").get_data(as_text=True)
    assert "50 % within 45 s" in contracts and "80 % within 120 s, in hours" in contracts
    assert 'href="/admin/reports/sla?contract=acme"' in contracts
    calls = as_admin.get("/admin/calls?contract=globex").get_data(as_text=True)
    assert 'href="/admin/reports/sla?contract=globex"' in calls


# --- the chart ------------------------------------------------------------------------------

@pytest.mark.parametrize(("target", "width"), [(60, 15), (45, 15), (120, 30), (20, 5), (3600, 900)])
def test_chart_columns_put_the_target_on_an_edge_when_they_can(target: int, width: int) -> None:
    assert bucket_width(target) == width


def test_chart_buckets_include_their_upper_edge() -> None:
    width, counts = buckets(tenths_up_counts([0.0, 15.0, 15.1, 60.0, 60.5, 500.0]), 60)
    assert width == 15 and len(counts) == 12  # at most twelve columns
    assert counts[:5] == [2, 1, 0, 1, 1] and counts[-1] == 1  # 500 s in the last column


def test_chart_colours_within_and_later_and_says_so() -> None:
    chart = answer_time_chart(tenths_up_counts([10.0, 50.0, 61.0]), 60)
    assert [r.cls for r in chart.rects] == ["answered", "answered", "missed", "target"]
    assert "2 within the target of 60 s" in chart.summary
    assert chart.table_rows[0] == ("up to 15 s", "1")


# --- the CLI --------------------------------------------------------------------------------

def cli(admin_db_url: str, tmp_path: Any, *args: str) -> Any:
    path = tmp_path / "sla.toml"
    path.write_text(sla_config_text())
    return CliRunner().invoke(main, ["report", "sla", *args, "--config", str(path),
                                     "--database-url", admin_db_url])


def test_cli_text_csv_and_json(admin_db_url: str, tmp_path: Any,
                               results: dict[str, CallResult]) -> None:
    text = cli(admin_db_url, tmp_path, "--contract", "acme", "--period", "2026-12")
    assert text.exit_code == 0, text.output
    assert "target: 50 % of calls answered within 45 s (every call counts): met" in text.output
    assert "2026-12-04 10:00:00  +49301234567  hung up while waiting, waited 12 s" in text.output
    both = cli(admin_db_url, tmp_path, "--period", "2026-Q4", "--csv")
    rows = list(csv.DictReader(io.StringIO(both.output)))
    assert [(r["contract"], r["calls"], r["target_met"]) for r in rows] == [
        ("acme", "8", "yes"), ("globex", "5", "no")]
    one = json.loads(cli(admin_db_url, tmp_path, "--contract", "globex", "--from", "2026-12-01",
                         "--to", "2026-12-31", "--json").output)
    assert (one["contract"], one["counted"], one["out_of_hours"]) == (
        "globex", 3, {"count": 2, "answered": 1})


@pytest.mark.parametrize(("args", "message"), [
    (("--contract", "initech", "--period", "2026-12"), "no contract initech"),
    (("--period", "2026-Q7"), "write a month"),
    ((), "give --period"),
    (("--period", "2026-12", "--from", "2026-12-01"), "give --period"),
])
def test_cli_errors(admin_db_url: str, tmp_path: Any, args: tuple[str, ...], message: str) -> None:
    result = cli(admin_db_url, tmp_path, *args)
    assert result.exit_code == 2 and message in result.output, result.output
