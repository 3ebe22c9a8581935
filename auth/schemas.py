"""API shapes for signing in."""
from marshmallow import fields, validate

from core.schemas import BaseSchema


class LoginRequest(BaseSchema):
    email = fields.String(required=True, validate=validate.Length(min=1, max=254))
    password = fields.String(required=True, validate=validate.Length(min=1, max=1024))
    totp = fields.String(load_default=None, validate=validate.Length(max=32))


class UserOut(BaseSchema):
    email = fields.String(required=True)
    role = fields.String(required=True)


class LoginResponse(BaseSchema):
    token = fields.String(required=True)
    expires_at = fields.DateTime(required=True, format="iso")
    user = fields.Nested(UserOut, required=True)


class LogoutResponse(BaseSchema):
    revoked = fields.Boolean(required=True)
