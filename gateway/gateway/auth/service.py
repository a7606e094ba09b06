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
from gateway.auth import totp
from gateway.auth.passwords import check_password_policy, hash_password, verify_password
from gateway.auth.tokens import TokenIssuer, digest, new_secret
from gateway.auth.totp import SecretBox
from gateway.config import GatewaySettings
from gateway.models import LoginAttempt, RefreshToken, User
from opsdesk_shared.auth import PASSWORD_CHANGE_SCOPE, TOTP_ENROL_SCOPE
from opsdesk_shared.errors import Conflict, Forbidden, Locked, RuleViolation, Unauthorized

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
    otp: str | None = None,
    secrets: SecretBox | None = None,
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
    if ok and user is not None and user.totp_confirmed_at is not None:
        secret = secrets.open(user.totp_secret or "") if secrets else None
        if otp is None:
            # The password was right; nothing is recorded, so asking for the code cannot reset the lockout.
            raise OtpRequired("enter the 6-digit code from your authenticator app", rule="otp-required")
        ok = secret is not None and totp.accept_code(user, secret, otp)
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


class OtpRequired(Unauthorized):
    pass


def totp_enrolment_required(settings: GatewaySettings, user: User) -> bool:
    return user.totp_confirmed_at is None and bool(settings.totp_roles().intersection(user.roles))


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
    setup = (
        PASSWORD_CHANGE_SCOPE
        if password_change_reason(settings, user, now)
        else TOTP_ENROL_SCOPE
        if totp_enrolment_required(settings, user)
        else None
    )
    if setup:
        # No roles: every route but the account's own set-up refuses it (opsdesk_shared.auth).
        access = issuer.access_token(subject=user.id, name=user.username, roles=[], unit_id=None, scopes=[setup])
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


async def start_totp_enrolment(session: AsyncSession, secrets: SecretBox, user: User) -> str:
    """A new secret for the user's authenticator app; it counts only once a code from it is confirmed."""
    if user.totp_confirmed_at is not None:
        raise Conflict("a second factor is already set up; a security administrator can reset it")
    secret = totp.new_secret()
    user.totp_secret, user.totp_last_step = secrets.seal(secret), None
    return secret


async def confirm_totp(
    session: AsyncSession, settings: GatewaySettings, issuer: TokenIssuer, secrets: SecretBox, user: User, code: str
) -> tuple[str, str]:
    secret = secrets.open(user.totp_secret or "") if user.totp_secret else None
    if user.totp_confirmed_at is not None:
        raise Conflict("the second factor is already confirmed")
    if secret is None:
        raise RuleViolation("otp: start with POST /api/auth/totp/setup", field="otp")
    if not totp.accept_code(user, secret, code):
        raise RuleViolation("otp: wrong or already used code; check the phone's clock", field="otp")
    user.totp_confirmed_at = user.updated_at = datetime.now(UTC)
    return await issue_pair(session, settings, issuer, user)
