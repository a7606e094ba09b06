"""Alibaba Cloud SMS pushes (HTTP batch push, configured in Aliyun's console): delivery reports (SmsReport) and
replies (SmsUp), each a JSON array, answered `{"code": 0, "msg": "接收成功"}` (anything else makes Aliyun push again).

Aliyun signs neither: a push is accepted only from OPSDESK_ALIYUN_PUSH_NETWORKS (the source address as the gateway
established it, believed from OPSDESK_ALIYUN_PUSH_PROXIES only). Outside production, with no networks configured,
loopback is accepted (the local stand-in)."""

import json
from datetime import UTC, datetime
from ipaddress import ip_address, ip_network
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy.dialects.postgresql import insert

from notifications.config import NotificationsSettings
from notifications.inbound import service as inbound
from notifications.inbound.models import SmsOptOut
from notifications.messages import receipts
from notifications.providers.aliyun import ERRORS, provider_sid
from opsdesk_shared.dependencies import Uow
from opsdesk_shared.errors import Forbidden, RuleViolation
from opsdesk_shared.phones import normalise_phone

router = APIRouter(prefix="/api/sms/webhooks/aliyun", tags=["sms"])
RECEIVED = {"code": 0, "msg": "接收成功"}
LOOPBACK = [ip_network("127.0.0.0/8"), ip_network("::1/128")]


class SmsReport(BaseModel):
    model_config = ConfigDict(extra="ignore")

    phone_number: str
    success: bool
    err_code: str | None = None
    err_msg: str | None = None
    biz_id: str | None = None
    out_id: str | None = None
    send_time: str | None = None
    report_time: str | None = None


class SmsUp(BaseModel):
    model_config = ConfigDict(extra="ignore")

    phone_number: str
    content: str
    send_time: str | None = None
    sign_name: str | None = None
    dest_code: str | None = None
    sequence_id: int | str


def source_address(request: Request, settings: NotificationsSettings) -> str:
    peer = request.client.host if request.client else ""
    forwarded = request.headers.get("x-forwarded-for", "")
    try:
        if forwarded and any(ip_address(peer) in net for net in settings.aliyun_push_proxies):
            return forwarded.split(",")[-1].strip()
    except ValueError:
        pass
    return peer


def check_source(request: Request) -> None:
    settings: NotificationsSettings = request.app.state.settings
    networks = settings.aliyun_push_networks or ([] if settings.environment == "production" else LOOPBACK)
    address = source_address(request, settings)
    try:
        allowed = any(ip_address(address) in net for net in networks)
    except ValueError:
        allowed = False
    if not allowed:
        raise Forbidden("Aliyun pushes are accepted only from OPSDESK_ALIYUN_PUSH_NETWORKS")


async def _items(request: Request, model: type[BaseModel]) -> list[Any]:
    try:
        payload = json.loads(await request.body())
    except ValueError as exc:
        raise RuleViolation("an Aliyun push is a JSON array", field="body") from exc
    if not isinstance(payload, list):
        raise RuleViolation("an Aliyun push is a JSON array", field="body")
    items = []
    for index, item in enumerate(payload):
        try:
            items.append(model.model_validate(item))
        except ValidationError as exc:
            raise RuleViolation(
                f"item {index} is not a {model.__name__}: {exc.errors()[0]['msg']}", field=f"body[{index}]"
            ) from exc
    return items


@router.post("/report")
async def sms_report(request: Request, uow: Uow) -> JSONResponse:
    """Delivery reports: `success` true is delivered; false is undelivered, with the carrier's code kept (a
    blacklisted number is also recorded as an opt-out). Recorded as receipts, applied by the worker as Twilio's
    are (messages/receipts.py)."""
    check_source(request)
    ours = []
    for report in await _items(request, SmsReport):
        if not report.out_id:
            continue  # not one of ours (sent from Aliyun's console)
        phone = normalise_phone(report.phone_number, "CN", field="phone_number")
        ours.append((report, phone, provider_sid(report.out_id, phone)))
    recorded = []
    for report, phone, sid in ours:
        status = "delivered" if report.success else "undelivered"
        code = None if report.success else (report.err_code or "UNDELIVERED")
        if code and code in ERRORS and ERRORS[code].action == "opt_out":  # rare: a second statement only then
            await uow.execute(
                insert(SmsOptOut).values(phone=phone, source="provider", at=datetime.now(UTC)).on_conflict_do_nothing()
            )
        recorded.append(receipts.Receipt(sid, status, error_code=code, detail=report.err_code))
    await receipts.record(uow, recorded)
    return JSONResponse(RECEIVED)


@router.post("/up")
async def sms_up(request: Request, uow: Uow) -> JSONResponse:
    """Replies: "1" / "2" / "TD" act as Twilio's do (inbound/service.py), once per Aliyun `sequence_id`."""
    check_source(request)
    for up in await _items(request, SmsUp):
        phone = normalise_phone(up.phone_number, "CN", field="phone_number")
        await inbound.receive(uow, sid=f"aliyun:{up.sequence_id}", from_phone=phone, body=up.content)
    return JSONResponse(RECEIVED)
