import asyncio
from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.responses import StreamingResponse
from sqlalchemy import select

from gateway.admin import audit, audit_verification, service
from gateway.admin.audit_verification import ChainCheck, FullVerification
from gateway.admin.models import ApiKey, AuditEntry
from gateway.admin.schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyOut,
    AuditEntryOut,
    AuditPage,
    PasswordReset,
    UnitCreate,
    UnitOut,
    UserCreate,
    UserOut,
    UserPage,
    UserUpdate,
)
from gateway.audit_checkpoints import Checkpoint
from gateway.auth.models import User
from gateway.dependencies import Settings
from opsdesk_shared.auth import Principal, Role, require_roles
from opsdesk_shared.dependencies import StreamingRead, Uow
from opsdesk_shared.errors import NotFound

router = APIRouter(prefix="/api/admin", tags=["admin"])

Admin = Annotated[Principal, Depends(require_roles(Role.ADMIN, Role.SECURITY_ADMIN))]
SecurityAdmin = Annotated[Principal, Depends(require_roles(Role.SECURITY_ADMIN))]
# The unit tree is the system administrator's (SPEC §1); the security administrator keeps roles and keys.
UnitAdmin = Annotated[Principal, Depends(require_roles(Role.ADMIN))]
Auditor = Annotated[Principal, Depends(require_roles(Role.AUDITOR))]
# Units are reference data every signed-in role needs (forms, scoping); only admins change them.
Staff = Annotated[Principal, Depends(require_roles(*[r.value for r in Role if r != Role.SYSTEM]))]


def _user_out(user: User) -> UserOut:
    return UserOut.model_validate(user, from_attributes=True)


@router.post("/units", status_code=status.HTTP_201_CREATED, response_model=UnitOut)
async def create_unit(body: UnitCreate, _: UnitAdmin, uow: Uow) -> UnitOut:
    return UnitOut.model_validate(await service.create_unit(uow, body), from_attributes=True)


@router.get("/units", response_model=list[UnitOut])
async def list_units(_: Staff, uow: Uow) -> list[UnitOut]:
    return [UnitOut.model_validate(u, from_attributes=True) for u in await service.list_units(uow)]


@router.post("/users", status_code=status.HTTP_201_CREATED, response_model=UserOut)
async def create_user(body: UserCreate, actor: Admin, uow: Uow, settings: Settings) -> UserOut:
    # In production the person must replace the password the administrator chose at their first sign-in.
    first_login_change = settings.environment == "production"
    return _user_out(await service.create_user(uow, actor, body, must_change_password=first_login_change))


@router.get("/users", response_model=UserPage)
async def list_users(
    _: Admin, uow: Uow, limit: Annotated[int, Query(ge=1, le=200)] = 50, page: Annotated[int, Query(ge=1)] = 1
) -> UserPage:
    users, total = await service.list_users(uow, limit=limit, offset=(page - 1) * limit)
    return UserPage(items=[_user_out(u) for u in users], total=total)


@router.get("/users/{user_id}", response_model=UserOut)
async def get_user(user_id: UUID, _: Admin, uow: Uow) -> UserOut:
    user = await uow.get(User, user_id)
    if user is None:
        raise NotFound(f"user {user_id} not found", code="user.not_found")
    return _user_out(user)


@router.patch("/users/{user_id}", response_model=UserOut)
async def update_user(user_id: UUID, body: UserUpdate, actor: Admin, uow: Uow, settings: Settings) -> UserOut:
    """Separation of duties applies (admin/duties.py): a privileged account is the security admin's."""
    return _user_out(await service.update_user(uow, actor, user_id, body, bootstrap_username=settings.admin_username))


@router.delete("/users/{user_id}/totp", response_model=UserOut)
async def reset_second_factor(user_id: UUID, _: SecurityAdmin, uow: Uow) -> UserOut:
    """For a lost phone: the user enrols a new authenticator at their next sign-in."""
    return _user_out(await service.reset_totp(uow, user_id))


@router.post("/users/{user_id}/password-reset", response_model=PasswordReset)
async def reset_password(user_id: UUID, actor: Admin, uow: Uow, settings: Settings) -> PasswordReset:
    """A one-time password, shown in this answer only; the account must change it at its next sign-in.
    Separation of duties applies: a privileged account's password is reset by a security administrator."""
    user, temporary = await service.reset_password(uow, actor, user_id, bootstrap_username=settings.admin_username)
    return PasswordReset(**_user_out(user).model_dump(), temporary_password=temporary)


@router.post("/api-keys", status_code=status.HTTP_201_CREATED, response_model=ApiKeyCreated)
async def create_api_key(body: ApiKeyCreate, actor: SecurityAdmin, uow: Uow) -> ApiKeyCreated:
    key, secret = await service.create_api_key(uow, actor, body)
    return ApiKeyCreated(**ApiKeyOut.model_validate(key, from_attributes=True).model_dump(), key=secret)


@router.get("/api-keys", response_model=list[ApiKeyOut])
async def list_api_keys(_: SecurityAdmin, uow: Uow) -> list[ApiKeyOut]:
    rows = await uow.execute(select(ApiKey).order_by(ApiKey.created_at.desc()))
    return [ApiKeyOut.model_validate(k, from_attributes=True) for k in rows.scalars()]


@router.delete("/api-keys/{key_id}", response_model=ApiKeyOut)
async def revoke_api_key(key_id: UUID, _: SecurityAdmin, uow: Uow) -> ApiKeyOut:
    return ApiKeyOut.model_validate(await service.revoke_api_key(uow, key_id), from_attributes=True)


@router.get("/audit-log", response_model=AuditPage)
async def audit_log(
    _: Auditor,
    uow: Uow,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    before_id: Annotated[int | None, Query(ge=1)] = None,
    actor: Annotated[str | None, Query(max_length=100, description="the actor's user name")] = None,
    action: Annotated[str | None, Query(max_length=100, description="prefix, e.g. login. or tickets.")] = None,
    since: Annotated[datetime | None, Query(alias="from")] = None,
    until: Annotated[datetime | None, Query(alias="to")] = None,
    target: Annotated[
        str | None, Query(alias="object", max_length=100, description="an id, ticket number or user name written")
    ] = None,
) -> AuditPage:
    query = audit.search(actor=actor, action=action, since=since, until=until, target=target)
    query = query.order_by(AuditEntry.id.desc()).limit(limit)
    if before_id is not None:
        query = query.where(AuditEntry.id < before_id)
    entries = list((await uow.execute(query)).scalars())
    # People by name: the actors' display names (the gateway's own accounts; a deleted one keeps its user name).
    actor_ids = {e.actor_id for e in entries if e.actor_id is not None}
    names: dict[UUID, str] = {}
    if actor_ids:
        rows = await uow.execute(select(User.id, User.display_name).where(User.id.in_(actor_ids)))
        names = {user_id: display_name for user_id, display_name in rows.tuples()}
    items = [
        AuditEntryOut.model_validate(e, from_attributes=True).model_copy(
            update={"actor_display_name": names.get(e.actor_id) if e.actor_id else None}
        )
        for e in entries
    ]
    return AuditPage(items=items, next_before_id=items[-1].id if len(items) == limit else None)


@router.get("/audit-log/export", response_class=StreamingResponse)
async def export_audit_log(
    _: Auditor,
    uow: StreamingRead,
    actor: Annotated[str | None, Query(max_length=100)] = None,
    action: Annotated[str | None, Query(max_length=100)] = None,
    since: Annotated[datetime | None, Query(alias="from")] = None,
    until: Annotated[datetime | None, Query(alias="to")] = None,
    target: Annotated[str | None, Query(alias="object", max_length=100)] = None,
) -> StreamingResponse:
    """CSV of the matching entries in chain order, hashes included."""
    query = audit.search(actor=actor, action=action, since=since, until=until, target=target)
    return StreamingResponse(
        audit.export_csv(uow, query),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="audit-log.csv"'},
    )


@router.get("/audit-log/verify", response_model=ChainCheck)
async def verify_audit_log(_: Auditor, request: Request) -> ChainCheck:
    """Checks the chain from the last signed checkpoint to the head (what was written since) and names the first
    entry that does not hold; an intact chain gets a new checkpoint. The whole chain: `POST .../verifications`."""
    state = request.app.state
    return await audit_verification.verify(state.sessions, state.audit_key, state.audit_checkpoints, full=False)


@router.post("/audit-log/verifications", status_code=status.HTTP_202_ACCEPTED, response_model=FullVerification)
async def start_full_verification(_: Auditor, request: Request) -> FullVerification:
    """Starts checking every entry from the last purge, in the background (one at a time: a running one is
    answered again); follow it at `GET .../verifications/{id}`."""
    verifications: audit_verification.FullVerifications = request.app.state.audit_verifications
    return verifications.start()


@router.get("/audit-log/verifications/{verification_id}", response_model=FullVerification)
async def full_verification(verification_id: str, _: Auditor, request: Request) -> FullVerification:
    verifications: audit_verification.FullVerifications = request.app.state.audit_verifications
    job = verifications.get(verification_id)
    if job is None:
        raise NotFound(
            f"no full verification {verification_id} in this gateway process", code="audit.verification_not_found"
        )
    return job


@router.get("/audit-log/checkpoints", response_model=list[Checkpoint])
async def audit_checkpoints(
    _: Auditor, request: Request, limit: Annotated[int, Query(ge=1, le=10000)] = 1000
) -> list[Checkpoint]:
    """The signed checkpoints of the chain's head, oldest first: for the auditor to keep outside the system."""
    return await asyncio.to_thread(request.app.state.audit_checkpoints.history, limit)
