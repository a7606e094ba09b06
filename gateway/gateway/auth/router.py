from fastapi import APIRouter, Request, status

from gateway.auth import service
from gateway.auth.schemas import LoginRequest, Me, RefreshRequest, TokenPair
from gateway.dependencies import Issuer, Settings, Uow, client_ip
from gateway.models import User
from opsdesk_shared.auth import CurrentPrincipal
from opsdesk_shared.errors import NotFound, Unauthorized

router = APIRouter(prefix="/api/auth", tags=["auth"])


@router.post("/login", response_model=TokenPair)
async def login(body: LoginRequest, request: Request, settings: Settings, issuer: Issuer) -> TokenPair:
    # Own transaction: a failed attempt must be committed (it counts towards the lockout) before the 401.
    async with request.app.state.sessions() as session, session.begin():
        outcome = await service.login(
            session,
            settings,
            issuer,
            username=body.username,
            password=body.password,
            client_ip=client_ip(request),
        )
    if outcome is None:
        raise Unauthorized(service.INVALID)
    user, access, refresh = outcome
    request.state.audit_actor = (user.id, user.username)
    return TokenPair(
        access_token=access,
        refresh_token=refresh,
        expires_in=settings.access_token_ttl_s,
        must_change_password=user.must_change_password,
    )


@router.post("/refresh", response_model=TokenPair)
async def refresh(body: RefreshRequest, uow: Uow, settings: Settings, issuer: Issuer) -> TokenPair:
    user, access, new_refresh = await service.refresh(uow, settings, issuer, body.refresh_token)
    return TokenPair(access_token=access, refresh_token=new_refresh, expires_in=settings.access_token_ttl_s)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(body: RefreshRequest, uow: Uow) -> None:
    await service.logout(uow, body.refresh_token)


@router.get("/me", response_model=Me)
async def me(principal: CurrentPrincipal, uow: Uow) -> Me:
    user = await uow.get(User, principal.subject)
    if user is None:
        raise NotFound("user not found")
    return Me(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        roles=list(user.roles),
        unit_id=user.unit_id,
        phone=user.phone,
    )
