from fastapi import APIRouter, Request, status
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.auth import service, totp
from gateway.auth.models import User
from gateway.auth.schemas import LoginRequest, Me, PasswordChange, RefreshRequest, TokenPair, TotpConfirm, TotpSetup
from gateway.config import GatewaySettings
from gateway.dependencies import Issuer, Settings, client_ip
from gateway.edge import AUDIT_ACTOR
from opsdesk_shared.auth import AccountSetup, Principal
from opsdesk_shared.dependencies import Uow
from opsdesk_shared.errors import NotFound, Unauthorized

router = APIRouter(prefix="/api/auth", tags=["auth"])


@router.post("/login", response_model=TokenPair)
async def login(body: LoginRequest, request: Request, settings: Settings, issuer: Issuer) -> TokenPair:
    # Own transaction: a failed attempt (or a dormant account disabled) must be committed before the answer.
    dormant: service.AccountDormant | None = None
    async with request.app.state.sessions() as session, session.begin():
        try:
            outcome = await service.login(
                session,
                settings,
                issuer,
                username=body.username,
                password=body.password,
                otp=body.otp,
                secrets=request.app.state.totp_box,
                client_ip=client_ip(request),
            )
        except service.AccountDormant as exc:
            dormant, outcome = exc, None
    if dormant is not None:
        raise dormant
    if outcome is None:
        raise Unauthorized(service.INVALID, code="auth.invalid_credentials")
    user, tokens = outcome
    # Who signed in, for the edge's audit entry. On the request's own scope: `request.state` can be the app's
    # lifespan state shared by every request (asgi-lifespan does that), and the next writer would inherit it.
    request.scope[AUDIT_ACTOR] = (user.id, user.username)
    return _pair(settings, user, tokens)


def _pair(settings: GatewaySettings, user: User, tokens: service.Tokens) -> TokenPair:
    reason = tokens.password_change_reason
    return TokenPair(
        access_token=tokens.access,
        refresh_token=tokens.refresh,
        expires_in=tokens.expires_in,
        must_change_password=reason is not None,
        password_change_reason=reason,
        totp_enrolment_required=reason is None and service.totp_enrolment_required(settings, user),
    )


@router.post("/refresh", response_model=TokenPair)
async def refresh(body: RefreshRequest, request: Request, settings: Settings, issuer: Issuer) -> TokenPair:
    # Own transaction: a reused token's family is revoked, and that must be committed before the 401.
    reused: service.RefreshReused | None = None
    async with request.app.state.sessions() as session, session.begin():
        try:
            user, tokens = await service.refresh(session, settings, issuer, body.refresh_token)
        except service.RefreshReused as exc:
            reused = exc
    if reused is not None:
        raise reused
    return _pair(settings, user, tokens)


@router.post("/password", response_model=TokenPair)
async def change_password(
    body: PasswordChange, principal: AccountSetup, uow: Uow, settings: Settings, issuer: Issuer
) -> TokenPair:
    """Change one's own password (also with a token good only for this). Other sessions end; the answer
    is a fresh token pair with the user's full roles."""
    user = await _self(uow, principal)
    tokens = await service.change_password(
        uow, settings, issuer, user, current_password=body.current_password, new_password=body.new_password
    )
    return _pair(settings, user, tokens)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(body: RefreshRequest, uow: Uow) -> None:
    await service.logout(uow, body.refresh_token)


@router.get("/me", response_model=Me)
async def me(principal: AccountSetup, uow: Uow) -> Me:
    user = await uow.get(User, principal.subject)
    if user is None:
        raise NotFound("user not found", code="user.not_found")
    return Me(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        roles=list(user.roles),
        unit_id=user.unit_id,
        phone=user.phone,
    )


@router.post("/totp/setup", response_model=TotpSetup)
async def totp_setup(request: Request, principal: AccountSetup, uow: Uow) -> TotpSetup:
    """Starts (or restarts) enrolling the authenticator app: scan the QR code, then confirm a code."""
    user = await _self(uow, principal)
    secret = await service.start_totp_enrolment(uow, request.app.state.totp_box, user)
    uri = totp.provisioning_uri(secret, user.username)
    return TotpSetup(secret=secret, otpauth_uri=uri, qr_svg=totp.qr_svg(uri))


@router.post("/totp/confirm", response_model=TokenPair)
async def totp_confirm(
    body: TotpConfirm, request: Request, principal: AccountSetup, uow: Uow, settings: Settings, issuer: Issuer
) -> TokenPair:
    """The first code from the app: from now on every sign-in asks for one. Answers a full token pair."""
    user = await _self(uow, principal)
    tokens = await service.confirm_totp(uow, settings, issuer, request.app.state.totp_box, user, body.otp)
    return _pair(settings, user, tokens)


async def _self(uow: AsyncSession, principal: Principal) -> User:
    user = await uow.get(User, principal.subject, with_for_update=True)
    if user is None or not user.is_active:
        raise Unauthorized("account disabled", code="auth.account_disabled")
    return user
