"""Login, refresh-token rotation, logout, changing a password. Lockout: 5 failures in 15 minutes locks
the account name.

The lockout answer and the wrong-password answer never reveal whether the account exists. An account
unused for `dormant_after_days` is disabled at its next sign-in (told so only when the password was
right). A password that must be changed (first sign-in in production, or older than
`password_max_age_days`) gets a token good for nothing but `POST /api/auth/password`.
"""

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.admin.service import announce_user_update
from gateway.auth.passwords import check_password_policy, hash_password, verify_password
from gateway.auth.tokens import TokenIssuer, digest, new_secret
from gateway.config import GatewaySettings
from gateway.models import LoginAttempt, RefreshToken, User
from opsdesk_shared.auth import PASSWORD_CHANGE_SCOPE
from opsdesk_shared.errors import Forbidden, Locked, RuleViolation, Unauthorized

INVALID = "invalid username or password"


async def _recent_failures(session: AsyncSession, username: str, window_s: int) -> int:
    since = datetime.now(UTC) - timedelta(seconds=window_s)
    last_success = (
        select(func.max(LoginAttempt.at))
        .where(LoginAttempt.username == username, LoginAttempt.succeeded.is_(True))  # type: ignore[attr-defined]
        .scalar_subquery()
    )
    query = select(func.count()).where(
        LoginAttempt.username == username,
        LoginAttempt.succeeded.is_(False),  # type: ignore[attr-defined]
        LoginAttempt.at > since,
        LoginAttempt.at > func.coalesce(last_success, since),
    )
    return int((await session.execute(query)).scalar_one())


async def login(
    session: AsyncSession,
    settings: GatewaySettings,
    issuer: TokenIssuer,
    *,
    username: str,
    password: str,
    client_ip: str | None,
) -> tuple[User, str, str] | None:
    """Returns None on bad credentials; the failed attempt is still written by the caller's commit."""
    now = datetime.now(UTC)
    if await _recent_failures(session, username, settings.lockout_window_s) >= settings.lockout_failures:
        raise Locked(
            f"too many failed logins; try again in {settings.lockout_window_s // 60} minutes",
            retry_after_s=settings.lockout_window_s,
        )
    user = (await session.execute(select(User).where(User.username == username))).scalar()
    ok = verify_password(user.password_hash if user else None, password) and user is not None and user.is_active
    session.add(LoginAttempt(username=username, succeeded=ok, client_ip=client_ip, at=now))
    if not ok or user is None:
        return None
    if _dormant(settings, user, now):
        user.is_active, user.updated_at = False, now
        await announce_user_update(session, user)
        raise AccountDormant(
            f"this account was not used for {settings.dormant_after_days} days and has been disabled; "
            "an administrator can enable it again"
        )
    user.last_login_at = now
    access, refresh = await issue_pair(session, settings, issuer, user)
    return user, access, refresh


class AccountDormant(Forbidden):
    """Raised after the caller's transaction has what must be kept (the account disabled, the attempt)."""


def _dormant(settings: GatewaySettings, user: User, now: datetime) -> bool:
    if not settings.dormant_after_days:
        return False
    last_used = max(t for t in (user.last_login_at, user.reactivated_at, user.created_at) if t is not None)
    return now - last_used > timedelta(days=settings.dormant_after_days)


def password_change_reason(settings: GatewaySettings, user: User, now: datetime | None = None) -> str | None:
    """Why this user must change their password before anything else, or None."""
    if user.must_change_password:
        return "first_login"
    age = (now or datetime.now(UTC)) - user.password_changed_at
    if settings.password_max_age_days and age > timedelta(days=settings.password_max_age_days):
        return "expired"
    return None


async def issue_pair(
    session: AsyncSession, settings: GatewaySettings, issuer: TokenIssuer, user: User
) -> tuple[str, str]:
    now = datetime.now(UTC)
    refresh = new_secret("rt")
    session.add(
        RefreshToken(
            user_id=user.id,
            token_hash=digest(refresh),
            created_at=now,
            expires_at=now + timedelta(seconds=settings.refresh_token_ttl_s),
        )
    )
    if password_change_reason(settings, user, now):
        # No roles: every route but changing the password refuses it (opsdesk_shared.auth).
        access = issuer.access_token(
            subject=user.id, name=user.username, roles=[], unit_id=None, scopes=[PASSWORD_CHANGE_SCOPE]
        )
    else:
        access = issuer.access_token(subject=user.id, name=user.username, roles=list(user.roles), unit_id=user.unit_id)
    return access, refresh


async def change_password(
    session: AsyncSession,
    settings: GatewaySettings,
    issuer: TokenIssuer,
    user: User,
    *,
    current_password: str,
    new_password: str,
) -> tuple[str, str]:
    """Every other session of the user ends (their refresh tokens are revoked); a fresh pair is returned."""
    if not verify_password(user.password_hash, current_password):
        raise RuleViolation("current_password: does not match", field="current_password")
    if verify_password(user.password_hash, new_password):
        raise RuleViolation("new_password: must differ from the current password", field="new_password")
    try:
        check_password_policy(new_password, username=user.username)
    except RuleViolation as exc:
        raise RuleViolation(exc.detail.replace("password:", "new_password:", 1), field="new_password") from exc
    now = datetime.now(UTC)
    user.password_hash = hash_password(new_password)
    user.password_changed_at = user.updated_at = now
    user.must_change_password = False
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.user_id == user.id, RefreshToken.revoked_at.is_(None))  # type: ignore[union-attr]
        .values(revoked_at=now)
    )
    return await issue_pair(session, settings, issuer, user)


async def refresh(
    session: AsyncSession, settings: GatewaySettings, issuer: TokenIssuer, token: str
) -> tuple[User, str, str]:
    """Rotate: the presented refresh token is revoked and a new pair issued."""
    now = datetime.now(UTC)
    row = (
        await session.execute(select(RefreshToken).where(RefreshToken.token_hash == digest(token)).with_for_update())
    ).scalar()
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        raise Unauthorized("refresh token invalid, expired or already used")
    user = await session.get(User, row.user_id)
    if user is None or not user.is_active:
        raise Unauthorized("account disabled")
    row.revoked_at = now
    access, new_refresh = await issue_pair(session, settings, issuer, user)
    return user, access, new_refresh


async def logout(session: AsyncSession, token: str) -> None:
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.token_hash == digest(token), RefreshToken.revoked_at.is_(None))  # type: ignore[union-attr]
        .values(revoked_at=datetime.now(UTC))
    )
