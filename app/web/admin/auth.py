"""Signing in and out, and the guard every admin route passes: session, role, CSRF token."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Response, abort, flash, g, redirect, render_template, request, session, url_for
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.wrappers import Response as BaseResponse

from app.storage.accounts import User
from app.storage.users import ADMIN, authenticate, normalise_username
from app.web.admin import throttle
from app.web.admin.web import SAFE_METHODS, bp, db, now

csrf = CSRFProtect()

PUBLIC = frozenset({"admin.login", "admin.static"})
# Unsafe requests a viewer may still make: ending their own session changes nothing shared.
ANY_ROLE = frozenset({"admin.logout"})


def current_user() -> User | None:
    """The signed-in user of this request, or None (also when their sessions were revoked)."""
    if "admin_user" not in g:
        g.admin_user = _session_user()
    return g.admin_user


def _session_user() -> User | None:
    uid, epoch = session.get("uid"), session.get("epoch")
    if not isinstance(uid, int) or not isinstance(epoch, int):
        return None
    user = db().get(User, uid)
    return user if user is not None and user.session_epoch == epoch else None


def is_admin() -> bool:
    user = current_user()
    return user is not None and user.role == ADMIN


@bp.context_processor
def _inject_user() -> dict[str, Any]:
    return {"current_user": current_user, "is_admin": is_admin}


@bp.before_request
def guard() -> BaseResponse | None:
    """Default deny: a new route needs a login, and an admin as soon as it changes anything."""
    unsafe = request.method not in SAFE_METHODS
    if request.endpoint not in PUBLIC:
        if current_user() is None:
            flash("Please sign in." if not unsafe else "Your session ended: sign in, then "
                  "try again.")
            return redirect(url_for("admin.login", next=_back_to()), 303)
        if unsafe and request.endpoint not in ANY_ROLE and not is_admin():
            abort(403)
    if unsafe:
        csrf.protect()
    return None


def _back_to() -> str:
    if request.method in SAFE_METHODS:
        return request.full_path.rstrip("?")
    return _safe_next(request.referrer) or url_for("admin.overview")


def _safe_next(target: str | None) -> str | None:
    """Only a path on this site: never send a user to another host after they sign in."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.netloc and parts.netloc != request.host:
        return None
    path = parts.path or "/"
    if not path.startswith("/admin") or path.startswith("//") or "\\" in target:
        return None
    return path + (f"?{parts.query}" if parts.query else "")


@bp.route("/login", methods=["GET", "POST"])
def login() -> BaseResponse | tuple[str, int] | str:
    next_url = _safe_next(request.values.get("next")) or url_for("admin.overview")
    if request.method == "GET":
        if current_user() is not None:
            return redirect(next_url)
        return render_template("admin/login.html", next_url=next_url)
    username = request.form.get("username", "").strip().lower()[:80]
    password = request.form.get("password", "")
    ip = request.remote_addr or "unknown"
    session_db, moment = db(), now()
    wait = throttle.seconds_to_wait(session_db, username, ip, moment)
    if wait:
        page = render_template("admin/login.html", next_url=next_url, username=username,
                               error=f"Too many failed attempts. Try again in {wait} s.")
        return Response(page, 429, {"Retry-After": str(wait)})
    user = authenticate(session_db, username, password)
    if user is None:
        throttle.record_failure(session_db, username, ip, moment)
        session_db.commit()
        return render_template("admin/login.html", next_url=next_url, username=username,
                               error="Wrong username or password."), 401
    throttle.clear_failures(session_db, normalise_username(username))
    session_db.commit()
    session.clear()  # a fresh session (and CSRF token) for the signed-in user
    session.permanent = True
    session.update(uid=user.id, epoch=user.session_epoch)
    return redirect(next_url, 303)


@bp.post("/logout")
def logout() -> BaseResponse:
    session.clear()
    flash("You are signed out.")
    return redirect(url_for("admin.login"), 303)


@bp.errorhandler(CSRFError)
def csrf_failed(error: CSRFError) -> tuple[str, int]:
    return render_template("admin/error.html", code=400, title="Form expired",
                           message="This form has expired or did not come from this site. "
                                   "Go back, reload the page and try again."), 400


@bp.errorhandler(403)
def forbidden(_error: Exception) -> tuple[str, int]:
    return render_template("admin/error.html", code=403, title="Not allowed",
                           message="Your account can look but not change anything. "
                                   "Ask an admin."), 403


@bp.errorhandler(404)
def not_found(_error: Exception) -> tuple[str, int]:
    return render_template("admin/error.html", code=404, title="Not found",
                           message="There is nothing at this address."), 404
