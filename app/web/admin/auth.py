"""Signing in and out, one's own password, and the guard every admin route passes: session,
role, CSRF token. Engineers open only the pages marked :func:`engineers_may_open`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import (
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.wrappers import Response as BaseResponse

from app.storage.accounts import User
from app.storage.users import (
    ADMIN,
    ENGINEER,
    MIN_PASSWORD,
    AccountError,
    authenticate,
    end_sessions,
    session_user,
    set_password,
)
from app.web.admin import devices, throttle
from app.web.admin.web import SAFE_METHODS, bp, db, now

csrf = CSRFProtect()

PUBLIC = frozenset({"admin.login", "admin.static"})
# Unsafe requests a viewer may still make: their own session and password, nothing shared.
ANY_ROLE = frozenset({"admin.logout", "admin.password"})
ENGINEER_HOME = "admin.my_shifts"

F = TypeVar("F", bound=Callable[..., Any])


def current_user() -> User | None:
    """The signed-in user of this request, or None (also when their sessions were revoked)."""
    if "admin_user" not in g:
        g.admin_user = _session_user()
    return g.admin_user


def _session_user() -> User | None:
    uid, epoch, key = session.get("uid"), session.get("epoch"), session.get("key")
    if not isinstance(uid, int) or not isinstance(epoch, int) or not isinstance(key, str):
        return None
    return session_user(db(), uid, epoch, key)


def _start_session(user: User) -> None:
    session.update(uid=user.id, epoch=user.session_epoch, key=user.session_key)


def is_admin() -> bool:
    user = current_user()
    return user is not None and user.role == ADMIN


def is_engineer() -> bool:
    user = current_user()
    return user is not None and user.role == ENGINEER


def signed_in_person() -> str | None:
    """The person id of the signed-in engineer; None for admins, viewers and nobody."""
    user = current_user()
    return user.person_id if user is not None and user.role == ENGINEER else None


def engineers_may_open(view: F) -> F:
    """Mark a view engineers may open (and post to): the view itself keeps them to their own."""
    view.engineers_may_open = True  # type: ignore[attr-defined]
    return view


def _open_to_engineers(endpoint: str | None) -> bool:
    view = current_app.view_functions.get(endpoint or "")
    return endpoint in ANY_ROLE or bool(getattr(view, "engineers_may_open", False))


def home_url() -> str:
    """Where a signed-in user lands: an engineer on their own page, everyone else on the overview."""
    return url_for(ENGINEER_HOME if is_engineer() else "admin.overview")


@bp.context_processor
def _inject_user() -> dict[str, Any]:
    return {"current_user": current_user, "is_admin": is_admin, "is_engineer": is_engineer,
            "home_url": home_url, "view_endpoints": lambda: current_app.view_functions}


@bp.before_request
def guard() -> BaseResponse | None:
    """Default deny: a new route needs a login, and an admin as soon as it changes anything."""
    unsafe = request.method not in SAFE_METHODS
    if request.endpoint not in PUBLIC:
        if current_user() is None:
            flash("Please sign in." if not unsafe else "Your session ended: sign in, then "
                  "try again.")
            return redirect(url_for("admin.login", next=_back_to()), 303)
        if is_engineer():
            if request.endpoint == "admin.overview" and not unsafe:
                return redirect(url_for(ENGINEER_HOME))
            if not _open_to_engineers(request.endpoint):
                abort(403)
        elif unsafe and request.endpoint not in ANY_ROLE and not is_admin():
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
    next_url = _safe_next(request.values.get("next"))
    if request.method == "GET":
        if current_user() is not None:
            return redirect(next_url or home_url())
        return render_template("admin/login.html", next_url=next_url)
    username = request.form.get("username", "").strip().lower()[:80]
    page: dict[str, Any] = {"template_name_or_list": "admin/login.html",
                            "next_url": next_url or "", "username": username}
    client = _client(username)
    wait = throttle.seconds_to_wait(db(), username, client, now())
    if wait:
        return _too_many(wait, **page)
    user = _checked(username, request.form.get("password", ""), client)
    if user is None:
        return render_template(**page, error="Wrong username or password."), 401
    session.clear()  # a fresh session (and CSRF token) for the signed-in user
    session.permanent = True
    _start_session(user)
    g.admin_user = user
    response = redirect(next_url or home_url(), 303)
    devices.remember(response, user.username)
    return response


@bp.post("/logout")
def logout() -> BaseResponse:
    """Ends every session of the account: a copy of this cookie must not outlive it."""
    user = current_user()
    if user is not None:
        end_sessions(db(), user)
        db().commit()
    session.clear()
    flash("You are signed out.")
    return redirect(url_for("admin.login"), 303)


@bp.route("/password", methods=["GET", "POST"])
def password() -> BaseResponse | tuple[str, int] | str:
    """The signed-in user's own password; the current one is asked (and throttled) first."""
    page: dict[str, Any] = {"template_name_or_list": "admin/password.html",
                            "min_password": MIN_PASSWORD}
    if request.method == "GET":
        return render_template(**page)
    user = current_user()
    if user is None:  # the guard lets only a signed-in user through
        abort(403)
    client = _client(user.username)
    wait = throttle.seconds_to_wait(db(), user.username, client, now())
    if wait:
        return _too_many(wait, **page)
    if _checked(user.username, request.form.get("current", ""), client) is None:
        return render_template(**page, error="Your current password is wrong."), 401
    new = request.form.get("new", "")
    try:
        if new != request.form.get("repeat"):
            raise AccountError("the new passwords do not match")
        set_password(db(), user.username, new)
    except AccountError as exc:
        db().rollback()
        return render_template(**page, error=f"Not changed: {exc}."), 400
    db().commit()
    _start_session(user)  # this session goes on with the new epoch; every other one ended
    flash("Your password is changed, and you are signed out everywhere else.")
    return redirect(home_url(), 303)


def _client(username: str) -> throttle.Client:
    return throttle.Client(request.remote_addr or "unknown", devices.device_for(username))


def _checked(username: str, password: str, client: throttle.Client) -> User | None:
    """The user if the password is right; either way the throttle hears of it."""
    session_db, moment = db(), now()
    user = authenticate(session_db, username, password)
    if user is None:
        throttle.record_failure(session_db, username, client, moment)
    else:
        throttle.clear_failures(session_db, user.username, client)
    session_db.commit()
    return user


def _too_many(wait: int, **page: Any) -> Response:
    body = render_template(**page, error=f"Too many failed attempts. Try again in {wait} s.")
    return Response(body, 429, {"Retry-After": str(wait)})


@bp.errorhandler(CSRFError)
def csrf_failed(error: CSRFError) -> tuple[str, int]:
    return render_template("admin/error.html", code=400, title="Form expired",
                           message="This form has expired or did not come from this site. "
                                   "Go back, reload the page and try again."), 400


@bp.errorhandler(403)
def forbidden(_error: Exception) -> tuple[str, int]:
    message = ("An engineer's account opens their own shifts, calls and allowance, and the "
               "on-call page." if is_engineer() else
               "Your account can look but not change anything. Ask an admin.")
    return render_template("admin/error.html", code=403, title="Not allowed",
                           message=message), 403


@bp.errorhandler(404)
def not_found(_error: Exception) -> tuple[str, int]:
    return render_template("admin/error.html", code=404, title="Not found",
                           message="There is nothing at this address."), 404
