"""/api/cti: the phone system posts call events (with an API key holding `cti:events`); operators
keep a server-sent-event stream open for their screen pops."""

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Request, status
from fastapi.responses import StreamingResponse

from intake.api.dependencies import Settings
from intake.calls import service
from intake.calls.schemas import CallOut, CtiEventIn
from opsdesk_shared.auth import CurrentPrincipal, Principal, Role, require_roles
from opsdesk_shared.dependencies import Uow
from opsdesk_shared.errors import Forbidden

router = APIRouter(prefix="/api/cti", tags=["cti"])

Operator = Annotated[Principal, Depends(require_roles(Role.HOTLINE_OPERATOR))]
HEARTBEAT_S = 15.0


@router.post("/events", response_model=CallOut, status_code=status.HTTP_202_ACCEPTED)
async def cti_event(body: CtiEventIn, principal: CurrentPrincipal, uow: Uow, settings: Settings) -> CallOut:
    if "cti:events" not in principal.scopes:
        raise Forbidden("phone-system events need an API key with the cti:events scope", code="api_key.scope_missing")
    call = await service.cti_event(uow, body, settings.default_phone_region)
    return CallOut.model_validate(call, from_attributes=True)


@router.get("/screen-pops", response_class=StreamingResponse)
async def screen_pops(request: Request, principal: Operator) -> StreamingResponse:
    """`text/event-stream`: one `screen_pop` event per call ringing at this operator's phone."""
    hub = request.app.state.screen_pops
    agent = principal.username
    queue = hub.subscribe(agent)

    async def stream() -> AsyncIterator[bytes]:
        try:
            yield b": connected\n\n"
            while not await request.is_disconnected():
                try:
                    pop = await asyncio.wait_for(queue.get(), timeout=HEARTBEAT_S)
                except TimeoutError:
                    yield b": keep-alive\n\n"  # keeps proxies from closing an idle stream
                    continue
                data = json.dumps(pop, ensure_ascii=False)
                yield f"event: screen_pop\nid: {pop['call_id']}\ndata: {data}\n\n".encode()
        finally:
            hub.unsubscribe(agent, queue)

    return StreamingResponse(
        stream(), media_type="text/event-stream", headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    )
