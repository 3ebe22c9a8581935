"""API sign-in: a bearer token for scripts and apps, revoked on logout."""
from __future__ import annotations

from flask import Blueprint, current_app, g, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user

from auth import service
from auth.schemas import LoginRequest, LoginResponse, LogoutResponse, UserOut
from auth.views import LOGIN_LIMIT_ACCOUNT, LOGIN_LIMIT_ADDRESS, _locked, _login_account_key, sign_in_failed
from core.access import ROLES, public, signed_in
from core.api import documented, error_response, load_json
from core.database import db
from core.extensions import limiter

bp = Blueprint("auth_api", __name__, url_prefix="/api/v1/auth")


@documented("/auth/login", "post", summary="Sign in and get a bearer token", tags=["auth"],
            request=LoginRequest, response=LoginResponse, errors=(401, 403, 422))
@bp.post("/login")
@limiter.limit(LOGIN_LIMIT_ADDRESS)
@limiter.limit(LOGIN_LIMIT_ACCOUNT, key_func=_login_account_key, deduct_when=sign_in_failed)
@public
def login():
    data = load_json(LoginRequest())
    address = request.remote_addr
    try:
        user = service.authenticate(db.session, data["email"], data["password"], address=address)
    except service.AccountLocked as exc:
        db.session.commit()  # a refusal that is remembered: the attempt is audited (core.unit_of_work)
        raise _locked(exc.retry_after)
    except service.LoginFailed:
        db.session.commit()  # remembered, as above: the failed attempt counts towards the lockout
        g.sign_in_failed = True
        return error_response(401, "unauthorized", _("The email or password is not right."))
    except service.EmailNotConfirmed:
        db.session.commit()  # remembered, as above
        return error_response(401, "unauthorized", _("The email or password is not right."))
    if service.second_factor_needed(user):
        if not user.totp_enabled:
            db.session.commit()  # remembered, as above
            return error_response(403, "two_factor_setup_required",
                                  _("Set up two-factor sign-in on the website before using the API."))
        if not data.get("totp"):
            db.session.commit()  # remembered, as above
            return error_response(401, "two_factor_required", _("Send the 6-digit code from your app as \"totp\"."),
                                  {"totp": [_("A code is required.")]})
        if not service.verify_second_factor(db.session, user, data["totp"]):
            service.second_factor_failed(db.session, user, address)
            db.session.commit()  # the wrong code counts
            g.sign_in_failed = True
            return error_response(401, "unauthorized", _("The two-factor code is not right."))
        service.second_factor_passed(db.session, user, address)
    row, secret = service.open_session(db.session, user, kind="api", ip=address,
                                       user_agent=request.headers.get("User-Agent"))
    return jsonify(LoginResponse().dump({"token": secret, "expires_at": row.expires_at,
                                         "user": {"email": user.email, "role": user.role}}))


@documented("/auth/logout", "post", summary="Revoke the bearer token (or the browser session) used for this call",
            tags=["auth"], response=LogoutResponse)
@bp.post("/logout")
@signed_in
def logout():
    row = g.get("user_session")
    if row is not None:
        service.revoke_session(db.session, row, "signed out")
    return jsonify({"revoked": row is not None})


@documented("/auth/me", "get", summary="Who the token belongs to", tags=["auth"], response=UserOut)
@bp.get("/me")
@signed_in
def me():
    return jsonify(UserOut().dump({"email": current_user.email, "role": current_user.role}))
