"""SLA reports per contract and period: the printable console page, its CSV, and the API route."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from flask import Response, jsonify, render_template, request, url_for

from app.contracts import Contract
from app.schedule.periods import EXAMPLES, Period, between, parse_period, period_of
from app.sla.export import duration, percent, report_json, reports_csv, target_text, verdict
from app.storage.sla import contract_report
from app.web.admin.api import bp as api_bp
from app.web.admin.sla_chart import answer_time_chart
from app.web.admin.web import bp, engine, local, now, runtime, zone

MISSED_LISTED = 200  # the page lists the oldest; the calls list and the API have every one


@dataclass(frozen=True)
class Asked:
    """What the query asks for: a contract (None: not given) and a period, and what was wrong."""

    contract: Contract | None
    period: Period | None
    errors: list[str]


def parse_args(args: Mapping[str, str], default: Period | None = None) -> Asked:
    """``contract`` and ``period`` (or ``from`` and ``to``, both local dates) from the query."""
    errors: list[str] = []
    contracts = runtime().config.contracts
    cid = (args.get("contract") or "").strip()
    contract = contracts.get(cid)
    if cid and contract is None:
        errors.append(f"no contract {cid[:40]!r}")
    text, first, last = (args.get(k, "").strip() for k in ("period", "from", "to"))
    period = default
    try:
        if text:
            period = parse_period(text)
        elif first or last:
            period = between(date.fromisoformat(first), date.fromisoformat(last))
    except ValueError as exc:
        errors.append(str(exc) if text else f"from/to: write two dates as 2026-10-01 ({exc})")
        period = None
    if period is None and not errors:
        errors.append(f"give a period: {EXAMPLES}")
    return Asked(contract, period, errors)


def this_quarter() -> Period:
    return period_of(now().astimezone(zone()).date(), "quarter")


@bp.get("/reports/sla")
def sla_page() -> tuple[str, int] | str:
    asked = parse_args(request.args, this_quarter())
    contracts = sorted(runtime().config.contracts.values(), key=lambda c: c.name)
    if asked.contract is None and len(contracts) == 1 and not asked.errors:
        asked = Asked(contracts[0], asked.period, [])
    report = chart = None
    if asked.contract is not None and asked.period is not None and not asked.errors:
        report = contract_report(engine(), runtime().config, asked.contract, asked.period,
                                 MISSED_LISTED)
        chart = answer_time_chart(report.answer_histogram, report.target.seconds)
    page = render_template(
        "admin/sla.html", asked=asked, contracts=contracts, report=report, chart=chart,
        period_text=request.args.get("period") or (asked.period.label if asked.period else ""),
        tz=zone().key, generated=local(now(), "%Y-%m-%d %H:%M"), duration=duration,
        percent=percent, target_text=target_text, verdict=verdict,
    )
    return (page, 400) if asked.errors else page


@bp.get("/reports/sla.csv")
def sla_csv() -> Response:
    asked = parse_args(request.args, this_quarter())
    if asked.errors or asked.period is None:
        return Response("; ".join(asked.errors) + "\n", status=400, mimetype="text/plain")
    config = runtime().config
    chosen = [asked.contract] if asked.contract else sorted(config.contracts.values(),
                                                             key=lambda c: c.id)
    reports = [contract_report(engine(), config, c, asked.period, 0) for c in chosen]
    name = f"sla-{asked.contract.id if asked.contract else 'all'}-{asked.period.label}"
    return Response(reports_csv(reports, zone()), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{name.replace("..", "_")}.csv"'})


@api_bp.get("/reports/sla")
def sla_api() -> Response | tuple[Response, int]:
    asked = parse_args(request.args)
    if asked.contract is None and not asked.errors:
        asked.errors.append("give a contract: ?contract=<id>")
    if asked.errors or asked.contract is None or asked.period is None:
        return jsonify(error="bad_request", message="; ".join(asked.errors)), 400
    report = contract_report(engine(), runtime().config, asked.contract, asked.period)
    return jsonify(**report_json(report, zone()),
                   url=url_for("admin.sla_page", contract=asked.contract.id,
                               period=asked.period.label, _external=True))
