"""/api/sms/messages (POST) and /api/sms/messages/batch: business SMS for `system` clients."""

from typing import Annotated

from fastapi import APIRouter, Header, Request, Response, status
from sqlalchemy.ext.asyncio import AsyncSession

from notifications.business import service as business
from notifications.business.schemas import Accepted, BatchRecipient, BusinessBatch, BusinessSms
from opsdesk_shared.auth import CurrentPrincipal, Principal, Role
from opsdesk_shared.dependencies import Uow
from opsdesk_shared.errors import Forbidden

router = APIRouter(prefix="/api/sms", tags=["business sms"])
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)]


def _client(principal: Principal) -> Principal:
    if not (principal.has_any(Role.SYSTEM) and "sms:send" in principal.scopes):
        raise Forbidden("business SMS need an API key with the sms:send scope", code="api_key.scope_missing")
    return principal


@router.post("/messages", response_model=Accepted, status_code=status.HTTP_202_ACCEPTED)
async def send_one(
    body: BusinessSms,
    principal: CurrentPrincipal,
    uow: Uow,
    request: Request,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> Accepted:
    client = _client(principal)
    batch = BusinessBatch(
        template=body.template,
        body=body.body,
        urgent=body.urgent,
        messages=[BatchRecipient(to=body.to, variables=body.variables)],
    )
    return await _accept(uow, request, response, client, batch, idempotency_key)


@router.post("/messages/batch", response_model=Accepted, status_code=status.HTTP_202_ACCEPTED)
async def send_batch(
    body: BusinessBatch,
    principal: CurrentPrincipal,
    uow: Uow,
    request: Request,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> Accepted:
    """Up to 1,000 recipients; all are accepted, or none (a bad number names its index)."""
    return await _accept(uow, request, response, _client(principal), body, idempotency_key)


async def _accept(
    uow: AsyncSession,
    request: Request,
    response: Response,
    client: Principal,
    batch: BusinessBatch,
    idempotency_key: str | None,
) -> Accepted:
    ids, replayed = await business.send_batch(uow, request.app.state.settings, client.subject, batch, idempotency_key)
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return Accepted(ids=ids)
