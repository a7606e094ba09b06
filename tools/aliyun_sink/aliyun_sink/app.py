"""A local stand-in for Alibaba Cloud SMS (Dysmsapi 2017-05-25), for development and tests (never production).

It speaks Dysmsapi's wire format as the pinned SDK (alibabacloud_dysmsapi20170525 4.6.0 on alibabacloud_tea_openapi
0.4.x) sends it: RPC style, `POST /` with the action in `x-acs-action` and the parameters in the query string (and,
for SendBatchSms, a form body), signed with ACS3-HMAC-SHA256 in the Authorization header over the canonical request
(method, path, sorted query, the signed headers, `x-acs-content-sha256`). The signature is verified with the
configured AccessKey secret; a wrong one is answered as Aliyun does (400 SignatureDoesNotMatch).

Actions: SendSms, SendBatchSms (at most 100 numbers), QuerySendDetails (by number and date, pages of at most 50).
Business errors come as HTTP 200 with a `Code` other than OK, as Dysmsapi answers them. Delivery reports (SmsReport)
and replies (SmsUp) are pushed as JSON arrays to the configured URLs, several reports per push.
`/_sink/*` lets tests read what arrived, inject provider faults and make a phone reply.
"""

import asyncio
import hashlib
import hmac
import html
import itertools
import json
import re
import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, quote
from zoneinfo import ZoneInfo

import aiohttp
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse

SHANGHAI = ZoneInfo("Asia/Shanghai")
ALGORITHM = "ACS3-HMAC-SHA256"
AUTHORIZATION = re.compile(r"^ACS3-HMAC-SHA256 Credential=([^,]+),SignedHeaders=([^,]*),Signature=([0-9a-f]{64})$")
MAINLAND_MOBILE = re.compile(r"^(?:\+?86|0086)?(1[3-9]\d{9})$")
BATCH_LIMIT = 100
PAGE_LIMIT = 50
CLOCK_SKEW = timedelta(minutes=15)


@dataclass
class SinkConfig:
    access_key_id: str
    access_key_secret: str
    report_url: str | None = None  # SmsReport push (HTTP batch push, as configured in Aliyun's console)
    up_url: str | None = None  # SmsUp push
    report_delay_s: float = 0.02
    push_every_s: float = 0.05  # reports are gathered and pushed as arrays, like Aliyun's batch push


@dataclass
class Fault:
    # "503" (ServiceUnavailable) | "throttling" (400 Throttling.User) | "timeout" (hangs, takes nothing) |
    # "accept-then-timeout" (takes the messages, never answers) | any Dysmsapi code, answered as HTTP 200 with that
    # Code (e.g. "isv.BUSINESS_LIMIT_CONTROL", "isv.MOBILE_NUMBER_ILLEGAL", "MOBILE_IN_BLACK").
    mode: str
    remaining: int
    to: str | None = None  # only calls to this number (11 digits or +86...)
    message: str | None = None


@dataclass
class SinkState:
    messages: list[dict[str, Any]] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    requests: int = 0
    refused_signatures: int = 0
    calls: dict[str, int] = field(default_factory=dict)
    pushes: list[dict[str, Any]] = field(default_factory=list)
    nonces: set[str] = field(default_factory=set)
    pending_reports: list[dict[str, Any]] = field(default_factory=list)


def national(phone: str) -> str | None:
    match = MAINLAND_MOBILE.fullmatch(phone.strip())
    return match.group(1) if match else None


def canonical_request(method: str, path: str, query: dict[str, str], headers: dict[str, str], signed: str) -> str:
    """The canonical request of Aliyun's V3 signature (as alibabacloud_tea_openapi.utils builds it)."""
    canonical_query = "&".join(f"{k}={quote(query[k], safe='~')}" for k in sorted(query))
    names = [n for n in signed.split(";") if n]
    canonical_headers = "".join(f"{n}:{headers.get(n, '').strip()}\n" for n in names)
    return (
        f"{method}\n{path or '/'}\n{canonical_query}\n{canonical_headers}\n{signed}\n{headers['x-acs-content-sha256']}"
    )


def signature(secret: str, canonical: str) -> str:
    to_sign = f"{ALGORITHM}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    return hmac.new(secret.encode(), to_sign.encode(), hashlib.sha256).hexdigest()


def _rpc_error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse(
        {
            "RequestId": _request_id(),
            "HostId": "dysmsapi.aliyuncs.com",
            "Code": code,
            "Message": message,
            "Recommend": f"https://api.aliyun.com/troubleshoot?q={code}",
        },
        status_code=status,
    )


def _request_id() -> str:
    h = secrets.token_hex(16).upper()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _content(sign: str, template: str, params: dict[str, Any]) -> str:
    """The text as the stand-in "renders" a template it does not know: the signature, the code, the values."""
    return f"【{sign}】{template}" + (" " + " ".join(f"{k}={v}" for k, v in params.items()) if params else "")


def create_app(config: SinkConfig) -> FastAPI:
    app = FastAPI(title="Alibaba Cloud SMS stand-in (development only)", docs_url=None, redoc_url=None)
    state = SinkState()
    app.state.sink = state
    biz_ids = itertools.count(1)
    http: dict[str, aiohttp.ClientSession] = {}
    tasks: set[asyncio.Task[None]] = set()

    def session() -> aiohttp.ClientSession:
        if "s" not in http:
            http["s"] = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        return http["s"]

    def spawn(coro) -> None:  # type: ignore[no-untyped-def]
        task = asyncio.get_running_loop().create_task(coro)
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    def verify(request: Request, body: bytes) -> JSONResponse | None:
        """Aliyun's checks of a V3-signed call, in its order and with its codes."""
        headers = {k.lower(): v for k, v in request.headers.items()}
        match = AUTHORIZATION.fullmatch(headers.get("authorization", ""))
        if match is None:
            return _rpc_error(400, "IncompleteSignature", "The request signature does not conform to Aliyun standards.")
        key_id, signed, given = match.groups()
        if key_id != config.access_key_id:
            return _rpc_error(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
        required = {"host", "x-acs-action", "x-acs-version", "x-acs-date", "x-acs-signature-nonce"}
        required.add("x-acs-content-sha256")
        if not required <= set(signed.split(";")):
            return _rpc_error(400, "IncompleteSignature", "The request signature does not sign every x-acs header.")
        if hashlib.sha256(body).hexdigest() != headers.get("x-acs-content-sha256"):
            return _rpc_error(400, "IncompleteSignature", "x-acs-content-sha256 is not the body's hash.")
        query = dict(parse_qsl(request.url.query, keep_blank_values=True))
        canonical = canonical_request(request.method, request.url.path, query, headers, signed)
        if not hmac.compare_digest(signature(config.access_key_secret, canonical), given):
            state.refused_signatures += 1
            return _rpc_error(
                400,
                "SignatureDoesNotMatch",
                "Specified signature does not match our calculation.",
            )
        try:
            at = datetime.strptime(headers["x-acs-date"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        except ValueError:
            return _rpc_error(
                400, "InvalidTimeStamp.Format", "Specified time stamp or date value is not well formatted."
            )
        if abs(datetime.now(UTC) - at) > CLOCK_SKEW:
            return _rpc_error(400, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.")
        nonce = headers["x-acs-signature-nonce"]
        if nonce in state.nonces:
            return _rpc_error(400, "SignatureNonceUsed", "Specified signature nonce was used already.")
        state.nonces.add(nonce)
        return None

    def fault_for(numbers: list[str]) -> Fault | None:
        for fault in state.faults:
            if fault.remaining > 0 and (fault.to is None or national(fault.to) in numbers):
                fault.remaining -= 1
                return fault
        return None

    def accept(number: str, sign: str, template: str, params: dict[str, Any], out_id: str, biz_id: str) -> None:
        now = datetime.now(SHANGHAI)
        message = {
            "biz_id": biz_id,
            "out_id": out_id,
            "phone_number": number,
            "to": f"+86{number}",
            "sign_name": sign,
            "template_code": template,
            "params": params,
            "body": _content(sign, template, params),
            "status": "sent",
            "send_date": now.strftime("%Y-%m-%d %H:%M:%S"),
            "receive_date": None,
            "received_at": time.time(),
        }
        state.messages.append(message)
        spawn(report_later(message))

    async def report_later(message: dict[str, Any]) -> None:
        await asyncio.sleep(config.report_delay_s)
        message["status"] = "delivered"
        message["receive_date"] = datetime.now(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")
        state.pending_reports.append(
            {
                "phone_number": message["phone_number"],
                "send_time": message["send_date"],
                "report_time": message["receive_date"],
                "success": True,
                "err_code": "DELIVERED",
                "err_msg": "用户接收成功",
                "sms_size": "1",
                "biz_id": message["biz_id"],
                "out_id": message["out_id"],
            }
        )

    async def push(url: str | None, kind: str, items: list[dict[str, Any]]) -> None:
        if not url:
            return
        try:
            async with session().post(url, json=items) as resp:
                answer: Any = resp.status
                if resp.status == 200:
                    answer = (await resp.json()).get("code")
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            answer = repr(exc)
        state.pushes.append({"kind": kind, "count": len(items), "answer": answer})
        if answer != 0 and kind == "report":  # Aliyun pushes again what was not answered code 0
            state.pending_reports.extend(items)

    async def pusher() -> None:
        while True:
            await asyncio.sleep(config.push_every_s)
            while state.pending_reports:
                items, state.pending_reports[:] = state.pending_reports[:100], state.pending_reports[100:]
                await push(config.report_url, "report", items)

    def biz_id() -> str:
        return f"{next(biz_ids):06d}{secrets.randbelow(10**8):08d}^0"

    async def send_sms(params: dict[str, str]) -> JSONResponse:
        numbers_raw = [n for n in params.get("PhoneNumbers", "").split(",") if n]
        numbers = [national(n) for n in numbers_raw]
        fault = fault_for([n for n in numbers if n])
        if fault is not None and (answer := await fault_answer(fault)) is not None:
            return answer
        if not numbers or any(n is None for n in numbers):
            return _ok_error("isv.MOBILE_NUMBER_ILLEGAL", "非法手机号")
        missing = [p for p in ("SignName", "TemplateCode") if not params.get(p)]
        if missing:
            return _ok_error("MissingParameter", f"{missing[0]} is mandatory for this action.")
        if not params["TemplateCode"].startswith("SMS_"):
            return _ok_error("isv.SMS_TEMPLATE_ILLEGAL", "该账号下找不到对应模板")
        try:
            template_params = json.loads(params["TemplateParam"]) if params.get("TemplateParam") else {}
        except ValueError:
            return _ok_error("isv.INVALID_JSON_PARAM", "JSON参数不合法，只接受字符串值")
        if any(not isinstance(v, str) for v in template_params.values()):
            return _ok_error("isv.INVALID_JSON_PARAM", "JSON参数不合法，只接受字符串值")
        if any(len(v) > 35 for v in template_params.values()):
            return _ok_error("isv.PARAM_LENGTH_LIMIT", "参数超出长度限制")
        biz = biz_id()
        for number in numbers:
            assert number is not None
            accept(number, params["SignName"], params["TemplateCode"], template_params, params.get("OutId", ""), biz)
        if fault is not None and fault.mode == "accept-then-timeout":
            await asyncio.sleep(120)
        return JSONResponse({"Code": "OK", "Message": "OK", "BizId": biz, "RequestId": _request_id()})

    async def send_batch_sms(params: dict[str, str]) -> JSONResponse:
        try:
            numbers_raw = json.loads(params.get("PhoneNumberJson", "[]"))
            signs = json.loads(params.get("SignNameJson", "[]"))
            template_params = (
                json.loads(params.get("TemplateParamJson", "[]")) if params.get("TemplateParamJson") else []
            )
        except ValueError:
            return _ok_error("isv.INVALID_JSON_PARAM", "JSON参数不合法")
        numbers = [national(str(n)) for n in numbers_raw]
        fault = fault_for([n for n in numbers if n])
        if fault is not None and (answer := await fault_answer(fault)) is not None:
            return answer
        if len(numbers) > BATCH_LIMIT:
            return _ok_error("isv.MOBILE_COUNT_OVER_LIMIT", "手机号码数量超过限制，最多100个")
        if not numbers or any(n is None for n in numbers):
            return _ok_error("isv.MOBILE_NUMBER_ILLEGAL", "非法手机号")
        if len(signs) != len(numbers) or (template_params and len(template_params) != len(numbers)):
            return _ok_error("isv.INVALID_PARAMETERS", "签名、参数与手机号数量不一致")
        if not params.get("TemplateCode", "").startswith("SMS_"):
            return _ok_error("isv.SMS_TEMPLATE_ILLEGAL", "该账号下找不到对应模板")
        for values in template_params:
            if any(not isinstance(v, str) or len(v) > 35 for v in values.values()):
                return _ok_error("isv.PARAM_LENGTH_LIMIT", "参数超出长度限制")
        biz = biz_id()
        for index, number in enumerate(numbers):
            assert number is not None
            values = template_params[index] if template_params else {}
            accept(number, signs[index], params["TemplateCode"], values, params.get("OutId", ""), biz)
        if fault is not None and fault.mode == "accept-then-timeout":
            await asyncio.sleep(120)
        return JSONResponse({"Code": "OK", "Message": "OK", "BizId": biz, "RequestId": _request_id()})

    async def query_send_details(params: dict[str, str]) -> JSONResponse:
        number = national(params.get("PhoneNumber", ""))
        if number is None:
            return _ok_error("isv.MOBILE_NUMBER_ILLEGAL", "非法手机号")
        day = params.get("SendDate", "")
        size = int(params.get("PageSize") or 10)
        page = int(params.get("CurrentPage") or 1)
        if not re.fullmatch(r"\d{8}", day) or not 1 <= size <= PAGE_LIMIT or page < 1:
            return _ok_error("isv.INVALID_PARAMETERS", "参数异常")
        found = [
            m
            for m in reversed(state.messages)
            if m["phone_number"] == number
            and m["send_date"][:10].replace("-", "") == day
            and (not params.get("BizId") or m["biz_id"] == params["BizId"])
        ]
        status_codes = {"sent": 1, "delivered": 3, "failed": 2}
        details = [
            {
                "PhoneNum": m["phone_number"],
                "SendStatus": status_codes[m["status"]],
                "ErrCode": "DELIVERED" if m["status"] == "delivered" else "",
                "TemplateCode": m["template_code"],
                "Content": m["body"],
                "SendDate": m["send_date"],
                "ReceiveDate": m["receive_date"] or "",
                "OutId": m["out_id"],
            }
            for m in found[(page - 1) * size : page * size]
        ]
        return JSONResponse(
            {
                "Code": "OK",
                "Message": "OK",
                "RequestId": _request_id(),
                "TotalCount": str(len(found)),
                "SmsSendDetailDTOs": {"SmsSendDetailDTO": details},
            }
        )

    async def fault_answer(fault: Fault) -> JSONResponse | None:
        if fault.mode == "503":
            return _rpc_error(
                503, "ServiceUnavailable", "The request has failed due to a temporary failure of the server."
            )
        if fault.mode == "throttling":
            return _rpc_error(400, "Throttling.User", "Request was denied due to user flow control.")
        if fault.mode == "timeout":  # hangs past any client's time-out and takes nothing
            await asyncio.sleep(120)
            return _rpc_error(503, "ServiceUnavailable", "timed out")
        if fault.mode == "accept-then-timeout":
            return None
        if fault.mode == "isv.BUSINESS_LIMIT_CONTROL":
            return _ok_error(fault.mode, fault.message or "触发小时级流控Permits:5")
        return _ok_error(fault.mode, fault.message or fault.mode)

    actions = {"SendSms": send_sms, "SendBatchSms": send_batch_sms, "QuerySendDetails": query_send_details}

    @app.post("/")
    async def rpc(request: Request) -> JSONResponse:
        state.requests += 1
        body = await request.body()
        refused = verify(request, body)
        if refused is not None:
            return refused
        action = request.headers.get("x-acs-action", "")
        if request.headers.get("x-acs-version") != "2017-05-25" or action not in actions:
            return _rpc_error(404, "InvalidAction.NotFound", f"Specified api {action} is not found.")
        params = dict(parse_qsl(request.url.query, keep_blank_values=True))
        if body:
            params.update(dict(parse_qsl(body.decode(), keep_blank_values=True)))
        state.calls[action] = state.calls.get(action, 0) + 1
        return await actions[action](params)

    # ---- for developers and tests ----
    @app.get("/_sink/messages")
    async def sink_messages(count_only: bool = False) -> dict[str, Any]:
        summary = {
            "count": len(state.messages),
            "requests": state.requests,
            "calls": state.calls,
            "refused_signatures": state.refused_signatures,
        }
        if count_only:
            return summary
        return {**summary, "messages": state.messages, "pushes": state.pushes}

    @app.delete("/_sink/messages", status_code=204)
    async def sink_reset() -> None:
        state.messages.clear()
        state.faults.clear()
        state.pushes.clear()
        state.calls.clear()
        state.requests = state.refused_signatures = 0

    @app.post("/_sink/faults", status_code=204)
    async def sink_fault(request: Request) -> None:
        body = await request.json()
        state.faults.append(
            Fault(
                mode=str(body["mode"]),
                remaining=int(body.get("count", 1)),
                to=str(body["to"]) if body.get("to") else None,
                message=body.get("message"),
            )
        )

    @app.post("/_sink/reply", status_code=204)
    async def sink_reply(request: Request) -> None:
        """A phone answers: the stand-in pushes it as SmsUp, as Aliyun does."""
        body = await request.json()
        number = national(str(body["from"]))
        up = {
            "phone_number": number,
            "send_time": datetime.now(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S"),
            "content": str(body["content"]),
            "sign_name": body.get("sign_name", ""),
            "dest_code": body.get("dest_code", ""),
            "sequence_id": int(body.get("sequence_id") or secrets.randbelow(10**12)),
        }
        await push(config.up_url, "up", [up])

    @app.get("/", response_class=HTMLResponse)
    async def page() -> str:
        columns = ("send_date", "phone_number", "template_code", "body", "status")
        rows = "".join(
            "<tr>" + "".join(f"<td>{html.escape(str(m[k]))}</td>" for k in columns) + "</tr>"
            for m in reversed(state.messages[-200:])
        )
        return (
            "<!doctype html><meta charset=utf-8><title>Aliyun SMS stand-in</title>"
            "<h1>阿里云短信本地模拟（仅开发）</h1>"
            "<table border=1 cellpadding=4><tr><th>时间</th><th>号码</th><th>模板</th><th>内容</th><th>状态</th></tr>"
            f"{rows}</table>"
        )

    @app.on_event("startup")
    async def start() -> None:
        spawn(pusher())

    @app.on_event("shutdown")
    async def close() -> None:
        for task in list(tasks):
            task.cancel()
        if "s" in http:
            await http["s"].close()

    return app


def _ok_error(code: str, message: str) -> JSONResponse:
    """Dysmsapi answers a business error with HTTP 200 and its Code."""
    return JSONResponse({"Code": code, "Message": message, "RequestId": _request_id()})
