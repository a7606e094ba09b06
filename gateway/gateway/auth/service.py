"""Login, refresh-token rotation, logout. Lockout: 5 failures in 15 minutes locks the account name.

The lockout answer and the wrong-password answer never reveal whether the account exists.
"""

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.auth.passwords import verify_password
from gateway.auth.tokens import TokenIssuer, digest, new_secret
from gateway.config import GatewaySettings
from gateway.models import LoginAttempt, RefreshToken, User
from opsdesk_shared.errors import Locked, Unauthorized

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
    user.last_login_at = now
    access, refresh = await issue_pair(session, settings, issuer, user)
    return user, access, refresh


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
    access = issuer.access_token(subject=user.id, name=user.username, roles=list(user.roles), unit_id=user.unit_id)
    return access, refresh


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
