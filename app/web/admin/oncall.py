"""On call: now and the coming weeks, the escalation chains, shift swaps (overrides), contracts.

Engineers see the on-call page too, and may delete only the overrides they created themselves
(their takeovers); an admin may delete any.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response as BaseResponse

from app.escalation import ChainPlan, build_chain
from app.feeds.window import parse_bound
from app.schedule import Override, OverrideIndex, Rotation, on_call_with_overrides
from app.storage.models import OverrideRow
from app.storage.overrides import add_override, as_domain, delete_override
from app.web.admin.auth import current_user, engineers_may_open, is_admin, is_engineer
from app.web.admin.calendar import weeks
from app.web.admin.shift_news import given_back
from app.web.admin.web import bp, db, local, now, person_name, runtime, zone

WEEKS = 4
PALETTE = 8  # colours a calendar tells people apart by (admin.css: .who.c0 ... .c7)
MAX_OVERRIDE = timedelta(days=366)


@dataclass(frozen=True)
class LineChain:
    line: str
    numbers: tuple[str, ...]
    plan: ChainPlan


def stored_overrides() -> list[Override]:
    """Every override, oldest first (a later one wins where two overlap), read afresh."""
    rows = db().scalars(select(OverrideRow).order_by(OverrideRow.id))
    return [as_domain(row) for row in rows]


def chains_at(at: datetime, overrides: list[Override]) -> list[LineChain]:
    """The chain a call to each line would ring at ``at``."""
    config = runtime().config
    index = OverrideIndex(overrides)

    def who(rotation: Rotation, moment: datetime) -> str | None:
        return on_call_with_overrides(rotation, index, moment)

    lines = [config.default_line, *config.lines.values()]
    return [LineChain(line.name, line.numbers,
                      build_chain(config.policies[line.policy], config.rotations, at, who))
            for line in lines if line.policy in config.policies]


def chains_now() -> list[LineChain]:
    return chains_at(now(), stored_overrides())


def overrides_now() -> list[OverrideRow]:
    """Overrides running now or later, soonest first."""
    return list(db().scalars(select(OverrideRow).where(OverrideRow.end_at > now())
                             .order_by(OverrideRow.start_at, OverrideRow.id)))


def refresh_runtime() -> None:
    """Make this process's call path see the change at once (others within seconds)."""
    cache = current_app.extensions.get("hotline_overrides")
    if cache is not None:
        cache.refresh()


def may_delete(row: OverrideRow) -> bool:
    """An admin deletes any override; an engineer only their own; a viewer none."""
    user = current_user()
    if user is None:
        return False
    return is_admin() or (is_engineer() and row.created_by == user.username)


@bp.context_processor
def _inject_may_delete() -> dict[str, object]:
    return {"may_delete": may_delete}


@bp.get("/on-call")
@engineers_may_open
def on_call_page() -> str:
    return _page({}, [])


def _page(form: dict[str, str], errors: list[str]) -> str:
    config, moment = runtime().config, now()
    overrides = stored_overrides()
    index = OverrideIndex(overrides)
    rotations = list(config.rotations.values())
    return render_template(
        "admin/oncall.html", form=form, errors=errors, chains=chains_at(moment, overrides),
        calendars=[(r, weeks(r, index, moment, zone(), WEEKS)) for r in rotations],
        current=[(r.id, on_call_with_overrides(r, index, moment)) for r in rotations],
        overrides=overrides_now(), people=sorted(config.people.values(), key=lambda p: p.name),
        rotations=[r.id for r in rotations], tz_name=config.hotline.timezone,
        palette={pid: i % PALETTE for i, pid in enumerate(config.people)})


def _override_form() -> tuple[dict[str, str], Override | None, list[str]]:
    """The submitted override, validated against the configuration, and what is wrong with it."""
    config = runtime().config
    form = {k: (request.form.get(k) or "").strip() for k in ("rotation", "person", "start", "end",
                                                              "note")}
    errors = []
    if form["rotation"] and form["rotation"] not in config.rotations:
        errors.append("Choose a rotation from the list.")
    if form["person"] not in config.people:
        errors.append("Choose who takes over.")
    times = []
    for key in ("start", "end"):
        try:
            times.append(parse_bound(form[key], zone()))
        except ValueError:
            errors.append(f"Give the {key} as a date and time.")
    if len(times) == 2:
        if times[1] <= times[0]:
            errors.append("The end must come after the start.")
        elif times[1] <= now():
            errors.append("This override would be over already.")
        elif times[1] - times[0] > MAX_OVERRIDE:
            errors.append("An override lasts at most a year.")
    if errors:
        return form, None, errors
    return form, Override("new", form["rotation"] or None, form["person"], *times), []


@bp.post("/on-call/overrides")
def create_override() -> BaseResponse | tuple[str, int] | str:
    form, override, errors = _override_form()
    if override is None:
        return _page(form, errors), 400
    if request.form.get("confirm") != "1":
        existing = stored_overrides()
        return render_template("admin/override_confirm.html", form=form, override=override,
                               before=chains_at(override.start, existing),
                               after=chains_at(override.start, [*existing, override]))
    user = current_user()
    add_override(db(), override.rotation_id, override.person, override.start, override.end,
                 created_by=user.username if user else None, note=form["note"][:200] or None,
                 created_at=now())
    db().commit()
    refresh_runtime()
    flash(f"Override saved: {person_name(override.person)} is on call from "
          f"{local(override.start, '%a %d %b %H:%M')}.")
    return redirect(url_for("admin.on_call_page"), 303)


@bp.route("/on-call/overrides/<int:override_id>/delete", methods=["GET", "POST"])
@engineers_may_open
def remove_override(override_id: int) -> BaseResponse | str:
    row = db().get(OverrideRow, override_id)
    if row is None:
        abort(404)
    if not may_delete(row):
        abort(403)
    if request.method == "GET":
        remaining = [o for o in stored_overrides() if o.id != str(override_id)]
        at = max(row.start_at, now())
        return render_template("admin/override_delete.html", row=row,
                               before=chains_at(at, stored_overrides()),
                               after=chains_at(at, remaining), at=at)
    delete_override(db(), override_id)
    db().commit()
    refresh_runtime()
    if is_engineer():
        given_back(row)
    flash("Override deleted.")
    return redirect(url_for("admin.on_call_page"), 303)


@bp.get("/contracts")
def contracts() -> str:
    config = runtime().config
    return render_template("admin/contracts.html",
                           contracts=sorted(config.contracts.values(), key=lambda c: c.name),
                           lines=[config.default_line, *config.lines.values()], config=config)
