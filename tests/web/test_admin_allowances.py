"""The allowances page and its CSV: the figures of tests/data/hotline.toml worked out by hand,
everyone's for admins and viewers, only their own for an engineer."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from typing import Any

from flask import Flask

from app.config import HotlineConfig
from app.settings import Settings
from tests.support.admin import admin_app, sign_in

# December 2026 in Berlin (DE-BE, closing days 24 and 31 Dec), per hour 2.00 / 3.00 / 5.00:
#   holidays 24 (closing), 25, 26 (a Saturday: paid as a holiday), 31 (closing); weekend 5, 6,
#   12, 13, 19, 20, 27; 20 weekdays. primary (weekly, Monday 09:00): dana until 7 Dec 09:00,
#   alice to the 14th, bob to the 21st, dana to the 28th, alice to the end.
#   alice wd 120 + 63 = 183, we 48, hol 24        -> 366 + 144 + 120 = 630.00
#   bob   wd 120, we 48                            -> 384.00
#   dana  wd 105 + 72 = 177, we 48 + 24 = 72, hol 72 -> 354 + 216 + 360 = 930.00
#   night (bob alone, 18:00-08:00 = 14 h a day): wd 280, we 98, hol 56 -> 560 + 294 + 280 = 1134.00
DECEMBER = {"Alice": "630.00", "Bob": "1518.00", "Dana": "930.00"}
# November 2026: no holidays; weekend 1, 7, 8, 14, 15, 21, 22, 28, 29; 21 weekdays.
#   alice Nov 1 00:00 - Nov 2 09:00 and 16-23: wd 9 + 120 = 129, we 24 + 48 = 72 -> 474.00
#   bob   2-9 and 23-30: wd 240, we 96 -> 768.00; night 14 h a day: wd 294, we 126 -> 966.00
#   dana  9-16 and Nov 30 09:00-24:00: wd 135, we 48 -> 414.00, and one call-out (the call of
#         Sunday 29 Nov 15:00 that bob declined and she accepted) -> 439.00
NOVEMBER = {"Alice": "474.00", "Bob": "1734.00", "Dana": "439.00"}


def amounts(html: str) -> dict[str, str]:
    table = html.split('id="totals"', 1)[1].split("</tbody>", 1)[0]
    rows = table.split("<tr>")[2:]
    return {row.split('">', 2)[2].split("<", 1)[0]: row.rsplit("<strong>", 1)[1].split("<", 1)[0]
            for row in rows}


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_admin_sees_everyone_in_this_period(as_admin: Any) -> None:
    response = as_admin.get("/admin/allowances")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "2026-12: Tue 01 Dec to Thu 31 Dec 2026" in html
    assert amounts(html) == DECEMBER
    assert '<strong id="grand-total">3078.00 EUR</strong>' in html
    assert "Sat 26 Dec (Second Day of Christmas)" in html and "Thu 24 Dec (closing day)" in html
    assert html.count('class="d-weekend"') == 7 and html.count('class="d-holiday"') == 4
    assert "primary · Alice" in html and "night · Bob" in html
    assert 'href="/admin/allowances?period=2026-11" rel="prev"' in html


def test_call_outs_and_line_by_line(seeded: Flask, as_admin: Any) -> None:
    html = as_admin.get("/admin/allowances?period=2026-11").get_data(as_text=True)
    assert amounts(html) == NOVEMBER
    dana = as_admin.get("/admin/allowances?period=2026-11&person=dana").get_data(as_text=True)
    assert amounts(dana) == {"Dana": "439.00"}
    lines = dana.split('id="segment-lines"', 1)[1].split("</tbody>", 1)[0]
    assert lines.count("<tr><td") == 9  # 9-16 Nov: 8 days; 30 Nov: one
    assert "Mon 09 Nov 09:00" in lines and "Mon 30 Nov 09:00" in lines
    callouts = dana.split('id="callouts"', 1)[1].split("</ul>", 1)[0]
    assert "Sun 29 Nov 15:00" in callouts and "hotline call" in callouts
    assert 'href="/admin/calls/CA' in callouts and "— 25.00" in callouts


def test_payroll_csv(seeded: Flask, as_admin: Any) -> None:
    response = as_admin.get("/admin/allowances.csv?period=2026-11")
    assert response.mimetype == "text/csv"
    assert 'filename="allowances-2026-11.csv"' in response.headers["Content-Disposition"]
    found = rows(response.get_data(as_text=True))
    totals = {r["name"]: (r["weekday_hours"], r["weekend_hours"], r["callouts"], r["amount"])
              for r in found if r["rotation"] == "all"}
    assert totals == {"Alice": ("129.00", "72.00", "0", "474.00"),
                      "Bob": ("534.00", "222.00", "0", "1734.00"),
                      "Dana": ("135.00", "48.00", "1", "439.00")}
    assert [(r["rotation"], r["person"]) for r in found if r["rotation"] != "all"] == [
        ("primary", "alice"), ("primary", "bob"), ("primary", "dana"), ("night", "bob")]
    detail = rows(as_admin.get("/admin/allowances.csv?period=2026-11&person=dana&detail=1")
                  .get_data(as_text=True))
    assert {r["person"] for r in detail} == {"dana"}
    assert detail[0]["start"] == "2026-11-09T09:00+01:00" and detail[0]["amount"] == "30.00"
    calls = [r for r in detail if r["what"] == "hotline call"]
    assert [(r["start"], r["amount"]) for r in calls] == [("2026-11-29T15:00+01:00", "25.00")]
    assert sum(float(r["amount"]) for r in detail) == 439.0


def test_an_engineer_sees_only_their_own_lines(seeded: Flask, as_engineer: Any) -> None:
    html = as_engineer.get("/admin/allowances?period=2026-11&person=dana").get_data(as_text=True)
    assert amounts(html) == {"Alice": "474.00"}
    assert "Dana" not in html.split("<main", 1)[1] and 'id="a-person"' not in html
    assert "primary · Bob" not in html and "primary · Alice" in html
    found = rows(as_engineer.get("/admin/allowances.csv?period=2026-11&person=dana")
                 .get_data(as_text=True))
    assert {r["person"] for r in found} == {"alice"}
    detail = rows(as_engineer.get("/admin/allowances.csv?period=2026-11&detail=1")
                  .get_data(as_text=True))
    assert {r["person"] for r in detail} == {"alice"} and len(detail) == 2 + 8


def test_a_viewer_may_look(as_viewer: Any) -> None:
    assert amounts(as_viewer.get("/admin/allowances").get_data(as_text=True)) == DECEMBER


def test_a_quarter_steps_by_quarters_and_two_dates_add_up(seeded: Flask, as_admin: Any) -> None:
    html = as_admin.get("/admin/allowances?period=2026-Q4").get_data(as_text=True)
    assert "2026-Q4: Thu 01 Oct to Thu 31 Dec 2026" in html
    assert 'href="/admin/allowances?period=2026-Q3" rel="prev"' in html
    assert 'href="/admin/allowances?period=2027-Q1" rel="next"' in html
    both = as_admin.get("/admin/allowances?period=2026-11-01..2026-12-31").get_data(as_text=True)
    assert amounts(both) == {name: f"{float(NOVEMBER[name]) + float(DECEMBER[name]):.2f}"
                             for name in DECEMBER}
    assert 'rel="prev"' not in both
    assert as_admin.get("/admin/allowances?period=2026-01-01..2027-06-01").status_code == 400


def test_a_bad_period_or_person_says_what_to_write(as_admin: Any) -> None:
    response = as_admin.get("/admin/allowances?period=december")
    assert response.status_code == 400
    assert "write a month (2026-12)" in response.get_data(as_text=True)
    assert as_admin.get("/admin/allowances?person=zoe").status_code == 400
    bad = as_admin.get("/admin/allowances.csv?period=2026-13")
    assert bad.status_code == 400 and bad.mimetype == "text/plain"


def test_signed_out_the_page_asks_for_a_login(console: Flask) -> None:
    for path in ("/admin/allowances", "/admin/allowances.csv"):
        response = console.test_client().get(path)
        assert response.status_code == 303 and "/admin/login" in response.headers["Location"]


def test_without_the_section_the_page_says_so(settings: Settings, config: HotlineConfig,
                                              admin_db_url: str) -> None:
    app = admin_app(settings, replace(config, allowances=None), admin_db_url)
    client = app.test_client()
    assert sign_in(client, "ann").status_code == 303
    assert "No allowances are configured" in client.get("/admin/allowances").get_data(as_text=True)
    assert client.get("/admin/allowances.csv").status_code == 404
