"""The allowances page: on-call time and pay of a period per person, its picture and CSV.

An engineer sees and exports their own lines only; admins and viewers see everyone's and may
pick one person to see their segments line by line.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from flask import Response, render_template, request
from werkzeug.wrappers import Response as BaseResponse

from app.allowances import DAY_TYPES, PAY_PERIOD_YEARS, AllowancePolicy, Report
from app.allowances.export import DETAIL_HEAD, as_csv, detail_rows, summary_head, summary_rows
from app.schedule.periods import CALENDAR_KINDS, EXAMPLES, Period, neighbour, parse_period, period_of
from app.storage.allowances import period_report
from app.web.admin.allowance_chart import on_call_picture
from app.web.admin.auth import engineers_may_open, signed_in_person
from app.web.admin.oncall import PALETTE
from app.web.admin.web import bp, db, now, person_name, runtime, zone


@dataclass(frozen=True)
class Asked:
    period: Period
    person: str | None  # whose lines only; None: everyone's
    errors: list[str]


def _asked(policy: AllowancePolicy, args: Mapping[str, str]) -> Asked:
    errors: list[str] = []
    period = period_of(now().astimezone(zone()).date(), policy.period)
    text = (args.get("period") or "").strip()
    if text:
        try:
            period = parse_period(text, PAY_PERIOD_YEARS)
        except ValueError:
            errors.append(f"Period: write {EXAMPLES}.")
    person = signed_in_person()  # an engineer's own, whatever the query asks
    if person is None:
        person = (args.get("person") or "").strip() or None
        if person is not None and person not in runtime().config.people:
            errors.append("Choose a person from the list.")
            person = None
    return Asked(period, person, errors)


def _report(policy: AllowancePolicy, asked: Asked) -> Report:
    report = period_report(db(), runtime().config, policy, asked.period)
    return report.only(asked.person) if asked.person is not None else report


@bp.get("/allowances")
@engineers_may_open
def allowances() -> tuple[str, int] | str:
    config = runtime().config
    policy = config.allowances
    if policy is None:
        return render_template("admin/allowances.html", policy=None)
    asked = _asked(policy, request.args)
    report = _report(policy, asked)
    colour = {pid: i % PALETTE for i, pid in enumerate(config.people)}
    nearby = ({step: neighbour(asked.period, step).label for step in (-1, 1)}
              if asked.period.kind in CALENDAR_KINDS else {})
    page = render_template(
        "admin/allowances.html", policy=policy, report=report, asked=asked, nearby=nearby,
        picture=on_call_picture(report, person_name, colour), day_types=DAY_TYPES,
        people=sorted(config.people.values(), key=lambda p: p.name),
        own=signed_in_person() is not None, tz_name=zone().key,
        zones={r.id: r.tz for r in report.rotations})
    return (page, 400) if asked.errors else page


@bp.get("/allowances.csv")
@engineers_may_open
def allowances_csv() -> BaseResponse:
    policy = runtime().config.allowances
    if policy is None:
        return Response("no [allowances] section in the configuration\n", 404, mimetype="text/plain")
    asked = _asked(policy, request.args)
    if asked.errors:
        return Response(" ".join(asked.errors) + "\n", 400, mimetype="text/plain")
    report = _report(policy, asked)
    detail = request.args.get("detail") == "1"
    body = (as_csv(DETAIL_HEAD, detail_rows(report, person_name, zone())) if detail
            else as_csv(summary_head(report), summary_rows(report, person_name)))
    name = "-".join(filter(None, ["allowances", asked.period.label, asked.person,
                                  "detail" if detail else None]))
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{name}.csv"'})
