"""Login, refresh-token rotation, logout, changing a password. Lockout: 5 failures in 15 minutes locks
the account name.

Refresh tokens come in families, one per sign-in: each refresh revokes the token presented and issues the
next of its family. A token presented again after it was rotated (or after sign-out) means two holders of
one session, one of them a thief: the whole family is revoked, and both must sign in again. A family
lives at most `session_lifetime_s` from its sign-in; the access token never outlives it.

The lockout answer and the wrong-password answer never reveal whether the account exists. An account
unused for `dormant_after_days` is disabled at its next sign-in (told so only when the password was
right). A password that must be changed (first sign-in in production, or older than
`password_max_age_days`) gets a token good for nothing but `POST /api/auth/password`.
"""

from datetime import UTC, datetime, timedelta
from typing import NamedTuple
from uuid import UUID, uuid4

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.admin.service import announce_user_update
from gateway.auth import totp
from gateway.auth.models import LoginAttempt, RefreshToken, User
from gateway.auth.passwords import check_password_policy, hash_password, verify_password
from gateway.auth.tokens import TokenIssuer, digest, new_secret
from gateway.auth.totp import SecretBox
from gateway.config import GatewaySettings
from opsdesk_shared.auth import PASSWORD_CHANGE_SCOPE, TOTP_ENROL_SCOPE
from opsdesk_shared.errors import Conflict, Forbidden, Locked, RuleViolation, Unauthorized

INVALID = "invalid username or password"


class Tokens(NamedTuple):
    access: str
    refresh: str
    expires_in: int  # seconds the access token is good for
    # Why the password must be changed first, judged as the pair is issued (at sign-in: before this
    # sign-in is recorded, so a first sign-in is told apart from one after a reset), or None.
    password_change_reason: str | None = None


async def _recent_failures(session: AsyncSession, username: str, window_s: int) -> int:
    since = datetime.now(UTC) - timedelta(seconds=window_s)
    last_success = (
        select(func.max(LoginAttempt.at))
        .where(LoginAttempt.username == username, LoginAttempt.succeeded.is_(True))
        .scalar_subquery()
    )
    query = select(func.count()).where(
        LoginAttempt.username == username,
        LoginAttempt.succeeded.is_(False),
        LoginAttempt.at > since,
        LoginAttempt.at > func.coalesce(last_success, since),
    )
    return int((await session.execute(query)).scalar_one())


async def _serialise_sign_ins(session: AsyncSession, username: str) -> None:
    """Sign-ins to one account name take turns until their transaction ends. Without this, concurrent wrong
    passwords all count the failures before any of them is written (each passes the lockout check), and
    one TOTP code can be accepted by two concurrent sign-ins (each reads the last used step before either
    writes it). A transaction-scoped advisory lock on the name rather than the user row alone: a name with
    no account must behave the same, or the lockout's timing would tell which names exist."""
    await session.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(username, 0))))


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
) -> tuple[User, Tokens] | None:
    """Returns None on bad credentials; the failed attempt is still written by the caller's commit."""
    now = datetime.now(UTC)
    await _serialise_sign_ins(session, username)
    if await _recent_failures(session, username, settings.lockout_window_s) >= settings.lockout_failures:
        raise Locked(
            f"too many failed logins; try again in {settings.lockout_window_s // 60} minutes",
            retry_after_s=settings.lockout_window_s,
            code="auth.too_many_failures",
            params={"minutes": settings.lockout_window_s // 60},
        )
    user = (await session.execute(select(User).where(User.username == username).with_for_update())).scalar()
    ok = verify_password(user.password_hash if user else None, password) and user is not None and user.is_active
    if ok and user is not None and user.totp_confirmed_at is not None:
        secret = secrets.open(user.totp_secret or "") if secrets else None
        if otp is None:
            # The password was right; nothing is recorded, so asking for the code cannot reset the lockout.
            raise OtpRequired(
                "enter the 6-digit code from your authenticator app", rule="otp-required", code="auth.otp_required"
            )
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
    tokens = await issue_pair(session, settings, issuer, user)
    user.last_login_at = now
    return user, tokens


class AccountDormant(Forbidden):
    """Raised after the caller's transaction has what must be kept (the account disabled, the attempt)."""

    code = "auth.account_dormant"


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
        # An account is made with its first password (password_changed_at == created_at); a later one that
        # must be changed was given by an administrator (a reset), whether or not the account signed in.
        return "reset" if user.password_changed_at > user.created_at else "first_login"
    age = (now or datetime.now(UTC)) - user.password_changed_at
    if settings.password_max_age_days and age > timedelta(days=settings.password_max_age_days):
        return "expired"
    return None


class RefreshReused(Unauthorized):
    """Raised after the caller's transaction has revoked the token's family: that must be committed."""


async def issue_pair(
    session: AsyncSession,
    settings: GatewaySettings,
    issuer: TokenIssuer,
    user: User,
    *,
    predecessor: RefreshToken | None = None,
) -> Tokens:
    """A new pair: of the predecessor's family when rotating, else a new family (a sign-in)."""
    now = datetime.now(UTC)
    family_id, signed_in_at = (predecessor.family_id, predecessor.signed_in_at) if predecessor else (uuid4(), now)
    session_ends_at = signed_in_at + timedelta(seconds=settings.session_lifetime_s)
    refresh = new_secret("rt")
    session.add(
        RefreshToken(
            user_id=user.id,
            family_id=family_id,
            signed_in_at=signed_in_at,
            token_hash=digest(refresh),
            created_at=now,
            expires_at=min(now + timedelta(seconds=settings.refresh_token_ttl_s), session_ends_at),
        )
    )
    ttl_s = max(1, min(settings.access_token_ttl_s, int((session_ends_at - now).total_seconds())))
    change_reason = password_change_reason(settings, user, now)
    setup = (
        PASSWORD_CHANGE_SCOPE
        if change_reason
        else TOTP_ENROL_SCOPE
        if totp_enrolment_required(settings, user)
        else None
    )
    if setup:
        # No roles: every route but the account's own set-up refuses it (opsdesk_shared.auth).
        access = issuer.access_token(
            subject=user.id, name=user.username, roles=[], unit_id=None, scopes=[setup], ttl_s=ttl_s
        )
    else:
        access = issuer.access_token(
            subject=user.id, name=user.username, roles=list(user.roles), unit_id=user.unit_id, ttl_s=ttl_s
        )
    return Tokens(access, refresh, ttl_s, change_reason)


async def change_password(
    session: AsyncSession,
    settings: GatewaySettings,
    issuer: TokenIssuer,
    user: User,
    *,
    current_password: str,
    new_password: str,
) -> Tokens:
    """Every other session of the user ends (their refresh tokens are revoked); a fresh pair is returned."""
    if not verify_password(user.password_hash, current_password):
        raise RuleViolation("current_password: does not match", field="current_password", code="password.current_wrong")
    if verify_password(user.password_hash, new_password):
        raise RuleViolation(
            "new_password: must differ from the current password", field="new_password", code="password.unchanged"
        )
    try:
        check_password_policy(new_password, username=user.username)
    except RuleViolation as exc:
        raise RuleViolation(
            exc.detail.replace("password:", "new_password:", 1), field="new_password", code=exc.code
        ) from exc
    now = datetime.now(UTC)
    user.password_hash = hash_password(new_password)
    user.password_changed_at = user.updated_at = now
    user.must_change_password = False
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.user_id == user.id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return await issue_pair(session, settings, issuer, user)


async def refresh(
    session: AsyncSession, settings: GatewaySettings, issuer: TokenIssuer, token: str
) -> tuple[User, Tokens]:
    """Rotate: the presented refresh token is revoked and the next of its family issued. The row lock makes
    two concurrent refreshes with one token a reuse: the second revokes the family."""
    now = datetime.now(UTC)
    row = (
        await session.execute(select(RefreshToken).where(RefreshToken.token_hash == digest(token)).with_for_update())
    ).scalar()
    if row is None:
        raise Unauthorized("refresh token invalid, expired or already used", code="auth.refresh_invalid")
    if row.revoked_at is not None:
        await revoke_family(session, row.family_id, now)
        raise RefreshReused(
            "refresh token already used: the session is ended everywhere; sign in again", code="auth.refresh_reused"
        )
    if row.expires_at <= now or now >= row.signed_in_at + timedelta(seconds=settings.session_lifetime_s):
        raise Unauthorized("the session has ended; sign in again", code="auth.session_ended")
    user = await session.get(User, row.user_id)
    if user is None or not user.is_active:
        raise Unauthorized("account disabled", code="auth.account_disabled")
    row.revoked_at = now
    return user, await issue_pair(session, settings, issuer, user, predecessor=row)


async def revoke_family(session: AsyncSession, family_id: UUID, now: datetime | None = None) -> None:
    """Ends the session the family stands for, wherever its tokens are."""
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now or datetime.now(UTC))
    )


async def logout(session: AsyncSession, token: str) -> None:
    """Signing out ends the session: its whole family, not only the token presented."""
    family_id = await session.scalar(select(RefreshToken.family_id).where(RefreshToken.token_hash == digest(token)))
    if family_id is not None:
        await revoke_family(session, family_id)


async def start_totp_enrolment(session: AsyncSession, secrets: SecretBox, user: User) -> str:
    """A new secret for the user's authenticator app; it counts only once a code from it is confirmed."""
    if user.totp_confirmed_at is not None:
        raise Conflict(
            "a second factor is already set up; a security administrator can reset it", code="totp.already_set_up"
        )
    secret = totp.new_secret()
    user.totp_secret, user.totp_last_step = secrets.seal(secret), None
    return secret


async def confirm_totp(
    session: AsyncSession, settings: GatewaySettings, issuer: TokenIssuer, secrets: SecretBox, user: User, code: str
) -> Tokens:
    secret = secrets.open(user.totp_secret or "") if user.totp_secret else None
    if user.totp_confirmed_at is not None:
        raise Conflict("the second factor is already confirmed", code="totp.already_confirmed")
    if secret is None:
        raise RuleViolation("otp: start with POST /api/auth/totp/setup", field="otp", code="totp.not_started")
    if not totp.accept_code(user, secret, code):
        raise RuleViolation(
            "otp: wrong or already used code; check the phone's clock", field="otp", code="totp.wrong_code"
        )
    user.totp_confirmed_at = user.updated_at = datetime.now(UTC)
    return await issue_pair(session, settings, issuer, user)
