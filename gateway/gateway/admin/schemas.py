from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from opsdesk_shared.auth import Role


class UnitKind(StrEnum):
    BUREAU = "bureau"
    SUB_BUREAU = "sub_bureau"
    POLICE_STATION = "police_station"
    FLOATING_STATION = "floating_station"
    VENDOR = "vendor"


Code = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")
]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Username = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=3, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
]


class UnitCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: Code
    name: Name
    kind: UnitKind
    parent_id: UUID | None = None


class UnitOut(BaseModel):
    id: UUID
    code: str
    name: str
    kind: UnitKind
    parent_id: UUID | None
    path: list[UUID]


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: Username
    password: Annotated[str, StringConstraints(min_length=1, max_length=256)]
    display_name: Name
    phone: Annotated[str, StringConstraints(strip_whitespace=True, max_length=32)] | None = None
    roles: list[Role] = Field(min_length=1, max_length=9)
    unit_id: UUID | None = None


class UserUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    display_name: Name | None = None
    phone: Annotated[str, StringConstraints(strip_whitespace=True, max_length=32)] | None = None
    roles: list[Role] | None = Field(default=None, min_length=1, max_length=9)
    unit_id: UUID | None = None
    is_active: bool | None = None


class UserOut(BaseModel):
    id: UUID
    username: str
    display_name: str
    phone: str | None
    roles: list[str]
    unit_id: UUID | None
    is_active: bool
    created_at: datetime
    last_login_at: datetime | None = None
    totp_confirmed_at: datetime | None = None  # when the second factor was set up, if it is


class PasswordReset(UserOut):
    temporary_password: str = Field(description="shown once: the account must replace it at its next sign-in")


# What a system client may be let do: business SMS (notifications), the phone system's call events (intake),
# monitoring alerts (assets' Alertmanager and generic webhooks).
API_KEY_SCOPES = ("sms:send", "cti:events", "monitoring:write")


class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Name
    scopes: list[Annotated[str, StringConstraints(pattern="^(" + "|".join(API_KEY_SCOPES) + ")$")]] = Field(
        min_length=1
    )


class ApiKeyOut(BaseModel):
    id: UUID
    name: str
    prefix: str
    scopes: list[str]
    created_at: datetime
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyOut):
    key: str = Field(description="shown once; send it as X-API-Key, or as the bearer credential")


class AuditEntryOut(BaseModel):
    id: int
    at: datetime
    actor_id: UUID | None
    actor_name: str | None
    actor_display_name: str | None = None  # the account's name for people, where it still exists
    action: str
    method: str
    path: str
    status: int
    client_ip: str | None
    request_id: str | None
    chain_seq: int | None = None
    entry_hash: str | None = None
    changes: list[dict[str, Any]] | None = Field(
        default=None,
        description="what the write changed: per row, op (insert/update/delete), table, key, before and after "
        "(phone numbers masked, secrets left out)",
    )


class UserPage(BaseModel):
    items: list[UserOut]
    total: int


class AuditPage(BaseModel):
    items: list[AuditEntryOut]
    next_before_id: int | None
