from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection
from twilio.request_validator import RequestValidator

from notifications.inbound import service as inbound
from notifications.messages import access, receipts, service
from notifications.messages.models import SmsMessage
from notifications.messages.schemas import MessageOut, MessagePage, ProviderInfo, RevealedSms, RevealIn
from opsdesk_shared.auth import CurrentPrincipal, Principal, Role, require_roles
from opsdesk_shared.dependencies import Uow
from opsdesk_shared.errors import Forbidden
from opsdesk_shared.phones import normalise_phone

router = APIRouter(prefix="/api/sms", tags=["sms"])
# Each passes the gate for the rows of its own (notifications/messages/access.py): staff a ticket's SMS, a system client
# the business SMS it sent, the security administrator business SMS masked.
Reader = Annotated[Principal, Depends(require_roles(*access.READER_ROLES))]
SecurityAdmin = Annotated[Principal, Depends(require_roles(Role.SECURITY_ADMIN))]


@router.get("/provider", response_model=ProviderInfo)
async def provider(request: Request, _: CurrentPrincipal) -> ProviderInfo:
    """The live SMS provider (OPSDESK_SMS_PROVIDER), for the admin console."""
    settings = request.app.state.settings
    if settings.sms_provider == "aliyun":
        note = (
            "SMS go to the local Alibaba Cloud SMS stand-in (development only)"
            if settings.uses_sink
            else f"Alibaba Cloud SMS (Dysmsapi, {settings.aliyun_api_endpoint}), signature 【{settings.aliyun_sign}】"
        )
        return ProviderInfo(name="aliyun", sink=settings.uses_sink, note=note, templates_only=True)
    note = "SMS go to the local Twilio-compatible sink (development only)" if settings.uses_sink else "Twilio"
    return ProviderInfo(name="twilio", sink=settings.uses_sink, note=note)


@router.get("/messages", response_model=MessagePage)
async def list_messages(
    principal: Reader,
    uow: Uow,
    ticket_id: UUID | None = None,
    status: Annotated[str | None, Query(max_length=20)] = None,
    to: Annotated[str | None, Query(max_length=32, description="the recipient, any common format")] = None,
    from_: Annotated[datetime | None, Query(alias="from")] = None,
    until: Annotated[datetime | None, Query(alias="until")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> MessagePage:
    query = select(SmsMessage).where(access.readable(principal)).order_by(SmsMessage.created_at.desc()).limit(limit)
    if ticket_id:
        query = query.where(SmsMessage.ticket_id == ticket_id)
    if status:
        query = query.where(SmsMessage.status == status)
    if to:
        query = query.where(SmsMessage.recipient == normalise_phone(to, "CN", field="to"))
    if from_:
        query = query.where(SmsMessage.created_at >= from_)
    if until:
        query = query.where(SmsMessage.created_at < until)
    items = []
    for m in (await uow.execute(query)).scalars():
        shown_to, shown_body, masked = access.shown(principal, m)
        items.append(
            MessageOut(
                id=m.id,
                to=shown_to,
                body=shown_body,
                template=m.template,
                ticket_id=m.ticket_id,
                status=m.status,
                segments=m.segments,
                encoding=m.encoding,
                provider_sid=m.provider_sid,
                provider=m.provider,
                attempts=m.attempts,
                error_code=m.error_code,
                created_at=m.created_at,
                sent_at=m.sent_at,
                delivered_at=m.delivered_at,
                next_attempt_at=m.next_attempt_at if m.status == "queued" else None,
                urgent=m.urgent,
                masked=masked,
            )
        )
    return MessagePage(items=items)


@router.post("/messages/{message_id}/reveal", response_model=RevealedSms)
async def reveal_business_sms(
    message_id: UUID, body: RevealIn, principal: SecurityAdmin, uow: Uow, response: Response
) -> RevealedSms:
    """One business SMS's number and text in full, for the security administrator, who sees them masked and
    has a support reason (like a ticket's contact, `POST /api/tickets/{id}/contact`). Recorded with the reason
    (`sms_reveal`), which the gateway's audit entry of this request carries."""
    message = await access.reveal_business(uow, principal, message_id, body.reason)
    response.headers["Cache-Control"] = "no-store"
    return RevealedSms(id=message.id, to=message.recipient, body=message.body)


def _check_signature(request: Request, form: dict[str, str]) -> None:
    """Twilio signs the URL it posted to (our public URL) plus the sorted form fields."""
    settings = request.app.state.settings
    url = settings.public_url.rstrip("/") + request.url.path
    if request.url.query:
        url += "?" + request.url.query
    signature = request.headers.get("X-Twilio-Signature", "")
    if not signature or not RequestValidator(settings.auth_token).validate(url, form, signature):
        raise Forbidden("X-Twilio-Signature missing or invalid", code="sms.signature_invalid")


@router.post("/webhooks/twilio/inbound", response_class=Response)
async def twilio_inbound(request: Request, uow: Uow) -> Response:
    """A requester's reply, signed by Twilio; answered with empty TwiML (no auto-reply)."""
    form = {k: str(v) for k, v in (await request.form()).items()}
    _check_signature(request, form)
    sid, sender, body = form.get("MessageSid", ""), form.get("From", ""), form.get("Body", "")
    if sid and sender:
        phone = normalise_phone(sender, "CN", field="From")
        await inbound.receive(uow, sid=sid, from_phone=phone, body=body)
    return Response('<?xml version="1.0" encoding="UTF-8"?><Response/>', media_type="text/xml")


async def _single_statement(request: Request) -> AsyncIterator[AsyncConnection]:
    """A connection in autocommit, for a route that writes with one statement: that statement commits by itself
    before the answer, without the BEGIN and COMMIT round trips of a transaction."""
    async with request.app.state.engine.connect() as connection:
        yield await connection.execution_options(isolation_level="AUTOCOMMIT")


SingleStatement = Annotated[AsyncConnection, Depends(_single_statement, scope="function")]


@router.post("/webhooks/twilio/status", include_in_schema=True, status_code=204)
async def twilio_status(request: Request, connection: SingleStatement) -> Response:
    """A signed delivery receipt, recorded in one statement; the worker applies it (messages/receipts.py)."""
    form = {k: str(v) for k, v in (await request.form()).items()}
    _check_signature(request, form)
    sid, raw_status = form.get("MessageSid", ""), form.get("MessageStatus", "")
    status = service.TWILIO_STATUS.get(raw_status)
    if sid and status is not None:  # otherwise nothing we track; acknowledged so Twilio does not retry
        await receipts.record(
            connection, [receipts.Receipt(sid, status, error_code=form.get("ErrorCode") or None, detail=raw_status)]
        )
    return Response(status_code=204)
