"""Users, units and API keys. Every change to a user or unit is also published (user.*, unit.*)."""

from datetime import UTC, datetime
from uuid import UUID

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.admin.duties import Account, check_account_change
from gateway.admin.models import ApiKey, Unit
from gateway.admin.schemas import ApiKeyCreate, UnitCreate, UserCreate, UserUpdate
from gateway.auth.models import RefreshToken, User
from gateway.auth.passwords import check_password_policy, generate_password, hash_password
from gateway.auth.tokens import digest, new_secret
from opsdesk_shared.auth import Principal
from opsdesk_shared.contracts.gateway import UnitCreated, UnitUpdated, UserCreated, UserUpdated
from opsdesk_shared.errors import Conflict, Forbidden, NotFound, RuleViolation
from opsdesk_shared.messaging.outbox import add_event, add_events
from opsdesk_shared.phones import normalise_phone

PRODUCER = "gateway"


async def create_unit(session: AsyncSession, cmd: UnitCreate) -> Unit:
    path: list[UUID] = []
    if cmd.parent_id is not None:
        parent = await session.get(Unit, cmd.parent_id)
        if parent is None:
            raise RuleViolation("parent_id: no such unit", field="parent_id", code="unit.parent_unknown")
        path = list(parent.path)
    if await session.scalar(select(Unit.id).where(Unit.code == cmd.code)):
        raise Conflict(f"code: unit {cmd.code!r} already exists", field="code", code="unit.code_taken")
    unit = Unit(
        code=cmd.code,
        name=cmd.name,
        kind=cmd.kind.value,
        parent_id=cmd.parent_id,
        path=[],
        created_at=datetime.now(UTC),
        version=1,
    )
    unit.path = [*path, unit.id]
    session.add(unit)
    await session.flush()
    await add_event(
        session,
        UnitCreated(
            unit_id=unit.id,
            code=unit.code,
            name=unit.name,
            kind=unit.kind,
            parent_id=unit.parent_id,
            path=unit.path,
            aggregate_version=unit.version,
        ),
        producer=PRODUCER,
    )
    return unit


async def list_units(session: AsyncSession) -> list[Unit]:
    return list((await session.execute(select(Unit).order_by(func.cardinality(Unit.path), Unit.code))).scalars())


def _user_event(user: User, cls: type[UserCreated] | type[UserUpdated]) -> UserCreated | UserUpdated:
    return cls(
        user_id=user.id,
        username=user.username,
        display_name=user.display_name,
        phone=user.phone,
        roles=list(user.roles),
        unit_id=user.unit_id,
        is_active=user.is_active,
        aggregate_version=user.version,
    )


async def create_user(
    session: AsyncSession, actor: Principal | None, cmd: UserCreate, *, must_change_password: bool = False
) -> User:
    if actor is not None:  # None: the bootstrap and the demo seed, which hold no session
        check_account_change(actor, None, {r.value for r in cmd.roles})
    check_password_policy(cmd.password, username=cmd.username)
    if cmd.unit_id is not None and await session.get(Unit, cmd.unit_id) is None:
        raise RuleViolation("unit_id: no such unit", field="unit_id", code="unit.unknown")
    if await session.scalar(select(User.id).where(User.username == cmd.username)):
        raise Conflict(f"username: {cmd.username!r} is taken", field="username", code="user.username_taken")
    now = datetime.now(UTC)
    user = User(
        username=cmd.username,
        password_hash=hash_password(cmd.password),
        display_name=cmd.display_name,
        phone=normalise_phone(cmd.phone, field="phone") if cmd.phone else None,
        roles=sorted({r.value for r in cmd.roles}),
        unit_id=cmd.unit_id,
        must_change_password=must_change_password,
        password_changed_at=now,
        created_at=now,
        updated_at=now,
        version=1,
    )
    session.add(user)
    try:
        await session.flush()
    except IntegrityError as exc:  # a concurrent create of the same name
        raise Conflict(f"username: {cmd.username!r} is taken", field="username", code="user.username_taken") from exc
    await add_event(session, _user_event(user, UserCreated), producer=PRODUCER)
    return user


async def update_user(
    session: AsyncSession, actor: Principal, user_id: UUID, cmd: UserUpdate, *, bootstrap_username: str
) -> User:
    user = await session.get(User, user_id, with_for_update=True)
    if user is None:
        raise NotFound(f"user {user_id} not found", code="user.not_found")
    changes = cmd.model_dump(exclude_unset=True)
    new_roles = {r.value for r in cmd.roles} if cmd.roles is not None else None
    account = Account(id=user.id, roles=frozenset(user.roles), is_bootstrap=user.username == bootstrap_username)
    check_account_change(actor, account, new_roles)
    if new_roles is not None:
        user.roles = sorted(new_roles)
    if "phone" in changes:
        user.phone = normalise_phone(changes["phone"], field="phone") if changes["phone"] else None
    if "unit_id" in changes and changes["unit_id"] is not None:
        if await session.get(Unit, changes["unit_id"]) is None:
            raise RuleViolation("unit_id: no such unit", field="unit_id", code="unit.unknown")
        user.unit_id = changes["unit_id"]
    if changes.get("is_active") and not user.is_active:
        user.reactivated_at = datetime.now(UTC)  # a dormant account enabled again starts a new 90 days
    for name in ("display_name", "is_active"):
        if changes.get(name) is not None:
            setattr(user, name, changes[name])
    user.updated_at = datetime.now(UTC)
    await announce_user_update(session, user)
    return user


async def reset_totp(session: AsyncSession, user_id: UUID) -> User:
    user = await session.get(User, user_id, with_for_update=True)
    if user is None:
        raise NotFound(f"user {user_id} not found", code="user.not_found")
    user.totp_secret = user.totp_confirmed_at = user.totp_last_step = None
    user.updated_at = datetime.now(UTC)
    return user


async def reset_password(
    session: AsyncSession, actor: Principal, user_id: UUID, *, bootstrap_username: str
) -> tuple[User, str]:
    """A one-time password for someone who forgot theirs: returned once (to be read out or handed over),
    only its hash kept. The account must choose a new password at its next sign-in (the token it gets is good
    for `POST /api/auth/password` alone, as for an expired password), and its open sessions end, so whoever
    held them is out too. Who may reset whom is the separation of duties' rule (a privileged account: the
    security administrator only); one's own password is changed, not reset."""
    user = await session.get(User, user_id, with_for_update=True)
    if user is None:
        raise NotFound(f"user {user_id} not found", code="user.not_found")
    if user.id == actor.subject:
        raise Forbidden(
            "nobody resets their own password: change it on the profile page",
            rule="own-password",
            code="user.own_password_reset",
        )
    check_account_change(
        actor, Account(id=user.id, roles=frozenset(user.roles), is_bootstrap=user.username == bootstrap_username), None
    )
    temporary = generate_password()
    now = datetime.now(UTC)
    user.password_hash = hash_password(temporary)
    user.must_change_password = True
    user.password_changed_at = user.updated_at = now
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.user_id == user.id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return user, temporary


async def announce_user_update(session: AsyncSession, user: User) -> None:
    """Takes the user's next version and announces the user as the row now stands. The increment is done
    by the row's UPDATE, whose lock orders concurrent changes (a sign-in disabling a dormant account does
    not lock the row first); re-reading the row after it puts into the event whatever a change committed
    just before this one left in it, so the newest version is also the complete one."""
    user.version = User.version + 1
    await session.flush()
    await session.refresh(user)
    await add_event(session, _user_event(user, UserUpdated), producer=PRODUCER)


async def list_users(session: AsyncSession, *, limit: int, offset: int) -> tuple[list[User], int]:
    total = int(await session.scalar(select(func.count()).select_from(User)) or 0)
    rows = await session.execute(select(User).order_by(User.username).limit(limit).offset(offset))
    return list(rows.scalars()), total


async def create_api_key(session: AsyncSession, actor: Principal, cmd: ApiKeyCreate) -> tuple[ApiKey, str]:
    secret = new_secret("odk")
    key = ApiKey(
        name=cmd.name,
        prefix=secret[:12],
        key_hash=digest(secret),
        scopes=sorted(set(cmd.scopes)),
        created_by=actor.subject,
        created_at=datetime.now(UTC),
    )
    session.add(key)
    await session.flush()
    return key, secret


async def revoke_api_key(session: AsyncSession, key_id: UUID) -> ApiKey:
    key = await session.get(ApiKey, key_id)
    if key is None:
        raise NotFound(f"api key {key_id} not found", code="api_key.not_found")
    key.revoked_at = key.revoked_at or datetime.now(UTC)
    return key


async def authenticate_api_key(session: AsyncSession, secret: str) -> ApiKey | None:
    key = (await session.execute(select(ApiKey).where(ApiKey.key_hash == digest(secret)))).scalar()
    return key if key is not None and key.revoked_at is None else None


async def announce_directory(session: AsyncSession) -> int:
    """Re-announces every unit (parents first) and user as `unit.updated` / `user.updated`.

    Each carries its current version, not a new one: a consumer that has it already ignores it, and one
    that kept an older one (or none) takes it. So this is harmless to repeat; it lets a service that was
    added later, or whose queue was lost or purged, learn everyone it missed. Run at every bootstrap."""
    events: list[UnitUpdated | UserCreated | UserUpdated] = [
        UnitUpdated(
            unit_id=u.id,
            code=u.code,
            name=u.name,
            kind=u.kind,
            parent_id=u.parent_id,
            path=u.path,
            aggregate_version=u.version,
        )
        for u in await list_units(session)
    ]
    users = (await session.execute(select(User).order_by(User.username))).scalars()
    events += [_user_event(user, UserUpdated) for user in users]
    await add_events(session, events, producer=PRODUCER)
    return len(events)
