from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, StringConstraints

Username = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Password = Annotated[str, StringConstraints(min_length=1, max_length=256)]


OneTimeCode = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\d{6}$")]


class LoginRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: Username
    password: Password
    otp: OneTimeCode | None = None  # the authenticator app's code, for accounts with a second factor


class TotpConfirm(BaseModel):
    model_config = ConfigDict(extra="forbid")
    otp: OneTimeCode


class TotpSetup(BaseModel):
    secret: str
    otpauth_uri: str
    qr_svg: str


class RefreshRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    refresh_token: Annotated[str, StringConstraints(min_length=10, max_length=200)]


class PasswordChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    current_password: Password
    new_password: Password


class TokenPair(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int
    # True: the access token is good only for POST /api/auth/password until the password is changed.
    must_change_password: bool = False
    password_change_reason: Literal["first_login", "reset", "expired"] | None = None
    # True: the access token is good only for enrolling the second factor (POST /api/auth/totp/...).
    totp_enrolment_required: bool = False


class Me(BaseModel):
    id: UUID
    username: str
    display_name: str
    roles: list[str]
    unit_id: UUID | None
    phone: str | None
