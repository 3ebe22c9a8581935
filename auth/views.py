"""Sign-in pages, and the checks every request passes: who is this, may they use this route."""
from __future__ import annotations

import io

import segno
from flask import (Blueprint, Flask, current_app, flash, g, has_request_context, redirect, render_template, request,
                   session as cookie, url_for)
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import LoginManager, current_user, login_user, logout_user
from sqlalchemy import select
from werkzeug.exceptions import Forbidden, TooManyRequests, Unauthorized

from auth import rules, service
from auth.models import User, UserSession
from core import audit
from core.access import ANONYMOUS, EMPLOYEES, ROLES, STAFF, allow, allowed_roles, public, signed_in, staff
from core.database import db
from core.errors import AssistError
from core.extensions import csrf, limiter
from core.inputs import whole_number
from core.nav import landing_url, register_nav
from core.views import safe_next

bp = Blueprint("auth", __name__)
login_manager = LoginManager()

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
# Endpoints a staff member who still has to set up two-factor sign-in may use.
ENROLMENT_ENDPOINTS = {"auth.two_factor", "auth.logout", "core.set_language", "static"}
CSRF_EXEMPT = {"auth_api.login"}

LOGIN_LIMIT_ADDRESS = "30 per minute;300 per hour"
# Failed attempts only (a right password never counts), per email from any address.
LOGIN_LIMIT_ACCOUNT = "20 per 15 minutes"


def sign_in_failed(_response=None) -> bool:
    """For the per-account limit: this request was a wrong password or code."""
    return bool(g.get("sign_in_failed"))


def _bearer_secret() -> str | None:
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip()
    return None


def _login_account_key() -> str:
    email = request.form.get("email")
    if email is None:
        payload = request.get_json(silent=True) or {}
        email = payload.get("email") if isinstance(payload, dict) else None
    return "login-account:" + service.normalize_email(str(email or ""))


def _attach(row: UserSession, secret: str) -> User:
    user = row.user
    user.current_session_id = secret
    g.user_session = row
    return user


def init_auth(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.session_protection = None  # sessions are server-side rows; revocation does the work
    login_manager.login_view = "auth.login"

    @login_manager.user_loader
    def _load_from_cookie(secret: str):
        if _bearer_secret() is not None:
            return None  # a request with a bearer token is judged by the token alone
        # The session's last-seen time (or its end) is saved with the request's one commit.
        row, why = service.load_session(db.session, secret, ("browser",))
        if row is None:
            g.session_ended = why
            return None
        return _attach(row, secret)

    @login_manager.request_loader
    def _load_from_bearer(req):
        secret = _bearer_secret()
        if secret is None:
            return None
        row, why = service.load_session(db.session, secret, ("api", "personal"))
        if row is None:
            g.token_rejected = why or "unknown"
            return None
        g.bearer = True
        return _attach(row, secret)

    @login_manager.unauthorized_handler
    def _unauthorized():
        raise Unauthorized()

    def _actor():
        if has_request_context() and current_user and current_user.is_authenticated:
            return service.actor_for(current_user)
        return None

    audit.set_actor_loader(app, _actor)

    def _save_language(language: str) -> None:
        if current_user.is_authenticated:
            service.set_language(db.session, current_user, language)
            db.session.commit()

    app.extensions["assist.save_language"] = _save_language

    @app.before_request
    def _check_access():
        endpoint = request.endpoint
        if endpoint is None or endpoint == "static":
            return None
        view = app.view_functions.get(endpoint)
        roles = allowed_roles(view) if view else None
        user = current_user
        signed = user.is_authenticated
        role = user.role if signed else ANONYMOUS
        g.role, g.signed_in = role, signed
        if signed:
            g.user_language = user.language
        if g.get("session_ended") in ("idle", "expired") and not signed:
            flash(_("You were signed out because your session ended. Please sign in again."), "warning")
            cookie.pop("_user_id", None)
        if signed and service.must_enrol(user) and endpoint not in ENROLMENT_ENDPOINTS:
            if request.path.startswith("/api/") or g.get("bearer"):
                raise Forbidden(_("Set up two-factor sign-in first."))
            return redirect(url_for("auth.two_factor"))
        if roles is None or role not in roles:
            if not signed:
                if request.path.startswith("/api/") or request.method not in SAFE_METHODS:
                    raise Unauthorized()
                return redirect(url_for("auth.login", next=request.full_path if request.query_string else request.path))
            raise Forbidden()
        if (request.method not in SAFE_METHODS and not g.get("bearer") and endpoint not in CSRF_EXEMPT
                and not getattr(view, "csrf_exempt", False)):
            csrf.protect()
        return None

    register_nav(app, "core.home", _l("Home"), (ANONYMOUS, *ROLES), order=0)
    register_nav(app, "auth.login", _l("Sign in"), (ANONYMOUS,), order=90)
    register_nav(app, "auth.register", _l("Create an account"), (ANONYMOUS,), order=91)
    register_nav(app, "core.outbox", _l("Outbox"), STAFF, order=60, group="records")
    register_nav(app, "core.audit_log", _l("Audit log"), ("manager", "admin"), order=70, group="records")
    register_nav(app, "auth.admin_users", _l("Users"), ("admin",), order=80, group="records")
    register_nav(app, "auth.account", _l("My sign-in"), ROLES, order=85)


def _errors_of(exc: AssistError) -> dict[str, list[str]]:
    return exc.fields or {"_form": [exc.message]}


def _end_earlier_session(user: User) -> None:
    """A new sign-in in this browser ends the session it had, whoever it belonged to."""
    row = g.get("user_session")
    if row is not None and row.kind == "browser":
        service.revoke_session(db.session, row, "signed in again" if row.user_id == user.id
                               else "another user signed in in this browser")
        g.user_session = None
    logout_user()


def _start_browser_session(user: User) -> None:
    _end_earlier_session(user)
    row, secret = service.open_session(db.session, user, kind="browser", ip=request.remote_addr,
                                       user_agent=request.headers.get("User-Agent"))
    user.current_session_id = secret
    cookie.clear()
    login_user(user)
    cookie.permanent = False


def _locked(retry_after: int):
    return TooManyRequests(_("Too many failed sign-in attempts for this email from here. Wait %(minutes)s minutes "
                             "and try again, or reset your password. If the email has an account, we sent it an "
                             "email about this.", minutes=max(1, (retry_after + 59) // 60)),
                           retry_after=retry_after)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(LOGIN_LIMIT_ADDRESS, methods=["POST"])
@limiter.limit(LOGIN_LIMIT_ACCOUNT, key_func=_login_account_key, methods=["POST"], deduct_when=sign_in_failed)
@public
def login():
    if current_user.is_authenticated and request.method == "GET":
        return redirect(landing_url(current_app, current_user.role))
    errors: dict[str, list[str]] = {}
    email = request.form.get("email", "")
    if request.method == "POST":
        try:
            user = service.authenticate(db.session, email, request.form.get("password", ""),
                                        address=request.remote_addr)
        except service.AccountLocked as exc:
            db.session.commit()  # a refusal that is remembered: the failed attempt counts (core.unit_of_work)
            raise _locked(exc.retry_after)
        except service.EmailNotConfirmed as exc:
            db.session.commit()  # remembered, as above
            errors = {"_form": [_("Confirm your email address first: open the link we sent you. You can ask for a new link below.")]}
            return render_template("auth/login.html", errors=errors, email=email, unconfirmed=exc.user.email), 200
        except service.LoginFailed:
            db.session.commit()  # remembered, as above
            g.sign_in_failed = True
            errors = {"_form": [_("The email or password is not right.")]}
            return render_template("auth/login.html", errors=errors, email=email), 200
        next_url = safe_next(request.form.get("next"), landing_url(current_app, user.role))
        if service.second_factor_needed(user) and user.totp_enabled:
            _end_earlier_session(user)
            secret = service.begin_pending_sign_in(db.session, user, next_url=next_url, address=request.remote_addr)
            cookie.clear()
            cookie["pending_2fa"] = secret
            return redirect(url_for("auth.login_verify"))
        _start_browser_session(user)
        if service.must_enrol(user):
            return redirect(url_for("auth.two_factor"))
        return redirect(next_url)
    return render_template("auth/login.html", errors=errors, email=email)


@bp.route("/login/verify", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
@public
def login_verify():
    """The second step of a staff sign-in; the step itself is a server-side row (see PendingSignIn)."""
    secret = cookie.get("pending_2fa")
    if not secret:
        return redirect(url_for("auth.login"))
    row = service.load_pending_sign_in(db.session, secret)
    if row is None:
        db.session.commit()  # a step that can no longer be finished is ended for good
        cookie.pop("pending_2fa", None)
        flash(_("Your sign-in was not finished in time or no longer counts. Sign in again."), "warning")
        return redirect(url_for("auth.login"))
    errors = {}
    if request.method == "POST":
        user = row.user
        wait = service.lock_wait(db.session, user.email, request.remote_addr)
        if wait:
            raise _locked(wait)
        if service.finish_pending_sign_in(db.session, row, request.form.get("code", ""),
                                          address=request.remote_addr) is not None:
            next_url = safe_next(row.next_url, landing_url(current_app, user.role))
            _start_browser_session(user)
            return redirect(next_url)
        db.session.commit()  # the wrong code counts
        if row.ended_at is not None:
            cookie.pop("pending_2fa", None)
            flash(_("Too many wrong codes. Sign in again."), "error")
            return redirect(url_for("auth.login"))
        errors = {"code": [_("That code is not right. Use the 6-digit code from your app or one of your recovery codes.")]}
    return render_template("auth/verify.html", errors=errors)


@bp.post("/logout")
@allow(ANONYMOUS, *ROLES)
def logout():
    row = g.get("user_session")
    if row is not None:
        service.revoke_session(db.session, row, "signed out")
    logout_user()
    cookie.clear()
    flash(_("You are signed out."), "success")
    return redirect(url_for("core.home"))


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"])
@public
def register():
    errors: dict[str, list[str]] = {}
    form = {"email": request.form.get("email", ""), "full_name": request.form.get("full_name", "")}
    if request.method == "POST":
        password = request.form.get("password", "")
        if password != request.form.get("password_confirm", ""):
            errors = {"password_confirm": [_("The two passwords are not the same.")]}
        else:
            try:
                service.register_customer(db.session, email=form["email"], password=password,
                                          language=str(g.get("user_language") or _current_language()),
                                          full_name=form["full_name"])
            except AssistError as exc:
                db.session.rollback()
                errors = _errors_of(exc)
            else:
                return render_template("auth/check_email.html", email=service.normalize_email(form["email"]))
    return render_template("auth/register.html", errors=errors, form=form), (422 if errors else 200)


def _current_language() -> str:
    from flask_babel import get_locale

    return str(get_locale() or "en")


@bp.get("/confirm/<token>")
@public
def confirm_email(token: str):
    try:
        service.confirm_email(db.session, token)
    except AssistError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("auth.resend_confirmation"))
    flash(_("Your email is confirmed. You can sign in now."), "success")
    return redirect(url_for("auth.login"))


@bp.route("/confirm", methods=["GET", "POST"])
@limiter.limit("5 per hour", methods=["POST"])
@public
def resend_confirmation():
    if request.method == "POST":
        user = db.session.scalar(select(User).where(User.email == service.normalize_email(request.form.get("email", ""))))
        if user is not None and user.email_confirmed_at is None and user.active:
            service.send_confirmation(db.session, user)
        return render_template("auth/check_email.html", email=service.normalize_email(request.form.get("email", "")))
    return render_template("auth/resend.html", errors={}, email=request.args.get("email", ""))


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit("5 per hour", methods=["POST"])
@public
def forgot_password():
    if request.method == "POST":
        service.request_password_reset(db.session, request.form.get("email", ""))
        return render_template("auth/check_email.html", email=service.normalize_email(request.form.get("email", "")), reset=True)
    return render_template("auth/forgot.html", errors={})


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"])
@public
def reset_password(token: str):
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        password = request.form.get("new_password", "")
        if password != request.form.get("password_confirm", ""):
            errors = {"password_confirm": [_("The two passwords are not the same.")]}
        else:
            try:
                service.reset_password(db.session, token, password)
            except AssistError as exc:
                db.session.rollback()
                errors = _errors_of(exc)
            else:
                logout_user()
                cookie.clear()
                flash(_("Your password is changed. Sign in with the new one."), "success")
                return redirect(url_for("auth.login"))
    return render_template("auth/reset.html", errors=errors, token=token), (422 if errors else 200)


@bp.get("/account")
@signed_in
def account():
    tokens = []
    if current_user.role in STAFF:
        tokens = db.session.scalars(
            select(UserSession).where(UserSession.user_id == current_user.id, UserSession.kind == "personal",
                                      UserSession.revoked_at.is_(None)).order_by(UserSession.id.desc())
        ).all()
    return render_template("auth/account.html", tokens=tokens, errors={}, new_token=None)


@bp.route("/account/password", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"])
@signed_in
def change_password():
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        new = request.form.get("new_password", "")
        if new != request.form.get("password_confirm", ""):
            errors = {"password_confirm": [_("The two passwords are not the same.")]}
        else:
            try:
                service.change_password(db.session, current_user, request.form.get("current_password", ""), new)
            except AssistError as exc:
                db.session.rollback()
                errors = _errors_of(exc)
            else:
                logout_user()
                cookie.clear()
                flash(_("Your password is changed and you were signed out everywhere. Sign in with the new password."), "success")
                return redirect(url_for("auth.login"))
    return render_template("auth/password.html", errors=errors), (422 if errors else 200)


@bp.route("/account/two-factor", methods=["GET", "POST"])
@allow(*EMPLOYEES)
def two_factor():
    user = current_user
    errors: dict[str, list[str]] = {}
    codes = None
    if request.method == "POST":
        action = request.form.get("action")
        try:
            if action == "start":
                service.begin_totp(db.session, user)
            elif action == "confirm":
                codes = service.confirm_totp(db.session, user, request.form.get("code", ""))
            elif action == "disable":
                if current_app.config.get("PRODUCTION"):
                    raise AssistError(_("Two-factor sign-in is required for staff and cannot be switched off."))
                service.disable_totp(db.session, user, "switched off by the user")
            elif action == "recovery":
                codes = service.new_recovery_codes(db.session, user)
        except AssistError as exc:
            db.session.rollback()
            errors = _errors_of(exc)
    secret = service.pending_totp_secret(user)
    qr_svg = None
    if secret:
        buffer = io.BytesIO()
        segno.make(service.provisioning_uri(user, secret), error="m").save(
            buffer, kind="svg", scale=5, xmldecl=False, svgns=True, title=_("QR code for your authenticator app"))
        qr_svg = buffer.getvalue().decode()
    return render_template("auth/two_factor.html", secret=secret, qr_svg=qr_svg, codes=codes, errors=errors,
                           required=service.must_enrol(user)), (422 if errors else 200)


@bp.post("/account/tokens")
@staff
def create_token():
    name = (request.form.get("name") or "").strip()[:100]
    errors: dict[str, list[str]] = {}
    try:
        days = whole_number("days", request.form.get("days"), minimum=1, maximum=rules.PERSONAL_TOKEN_MAX_DAYS,
                            default=90)
    except AssistError as exc:
        errors.update(exc.fields)
    if not name:
        errors["name"] = [_("Give the token a name, so you know later what uses it.")]
    if errors:
        return render_template("auth/account.html", tokens=[], errors=errors, new_token=None), 422
    _row, secret = service.open_session(db.session, current_user, kind="personal", name=name, days=days,
                                        ip=request.remote_addr)
    tokens = db.session.scalars(
        select(UserSession).where(UserSession.user_id == current_user.id, UserSession.kind == "personal",
                                  UserSession.revoked_at.is_(None)).order_by(UserSession.id.desc())
    ).all()
    return render_template("auth/account.html", tokens=tokens, errors={}, new_token=secret)


@bp.post("/account/tokens/<int:token_id>/revoke")
@staff
def revoke_token(token_id: int):
    row = db.session.get(UserSession, token_id)
    if row is None or row.user_id != current_user.id or row.kind != "personal":
        raise Forbidden()
    service.revoke_session(db.session, row, "revoked by the user")
    flash(_("The token is revoked."), "success")
    return redirect(url_for("auth.account"))


@bp.get("/admin/users")
@allow("admin")
def admin_users():
    query = select(User).order_by(User.email)
    needle = request.args.get("q", "").strip().lower()
    if needle:
        query = query.where(User.email.contains(needle))
    users = db.session.scalars(query.limit(200)).all()
    return render_template("auth/admin_users.html", users=users, q=needle, errors={}, form={}, roles=ROLES)


@bp.post("/admin/users")
@allow("admin")
def admin_create_user():
    form = {k: request.form.get(k, "") for k in ("email", "role", "full_name")}
    try:
        service.create_user(db.session, email=form["email"], password=request.form.get("password", ""),
                            role=form["role"], confirmed=True, full_name=form["full_name"])
    except AssistError as exc:
        db.session.rollback()
        users = db.session.scalars(select(User).order_by(User.email).limit(200)).all()
        return render_template("auth/admin_users.html", users=users, q="", errors=_errors_of(exc), form=form,
                               roles=ROLES), 422
    flash(_("User %(email)s created.", email=service.normalize_email(form["email"])), "success")
    return redirect(url_for("auth.admin_users"))


@bp.post("/admin/users/<int:user_id>")
@allow("admin")
def admin_update_user(user_id: int):
    user = service.get_user(db.session, user_id)
    action = request.form.get("action")
    reason = (request.form.get("reason") or "").strip() or None
    if user.id == current_user.id and action in ("deactivate", "role"):
        flash(_("You cannot change your own role or deactivate yourself."), "error")
        return redirect(url_for("auth.admin_users"))
    if action == "deactivate" and request.form.get("confirm") != "yes":
        return render_template("auth/confirm_deactivate.html", user=user, reason=reason or "")
    if action == "role":
        service.change_role(db.session, user, request.form.get("role", ""), reason)
    elif action == "deactivate":
        service.set_active(db.session, user, False, reason)
    elif action == "activate":
        service.set_active(db.session, user, True, reason)
    elif action == "reset_2fa":
        service.admin_reset_two_factor(db.session, user, reason)
    elif action == "reset_password":
        service.admin_reset_password(db.session, user, reason)
    else:
        raise AssistError(_("Unknown action."))
    flash(_("User %(email)s updated.", email=user.email), "success")
    return redirect(url_for("auth.admin_users"))
