"""The Dysmsapi stand-in: it verifies the ACS3-HMAC-SHA256 signature the pinned SDK really sends (checked here
with the SDK itself, and with requests tampered after signing), answers as Dysmsapi does, and pushes delivery
reports as JSON arrays."""

import asyncio
import hashlib
import json
import socket
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import uvicorn
from alibabacloud_dysmsapi20170525 import models as sms
from alibabacloud_dysmsapi20170525.client import Client
from alibabacloud_tea_openapi import utils_models as openapi
from alibabacloud_tea_openapi.exceptions import ClientException
from alibabacloud_tea_openapi.utils import Utils
from darabonba.request import DaraRequest
from fastapi import FastAPI, Request

from aliyun_sink.app import SinkConfig, create_app

KEY_ID = "LTAI5tSinkTest"
SECRET = "sink-test-secret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
async def sink() -> AsyncIterator[tuple[str, list[Any]]]:
    """The stand-in, and a receiver of its pushes (standing for OpsDesk's webhook)."""
    pushed: list[Any] = []
    receiver = FastAPI()

    @receiver.post("/report")
    async def report(request: Request) -> dict[str, Any]:
        pushed.append(await request.json())
        return {"code": 0, "msg": "接收成功"}

    sink_port, receiver_port = free_port(), free_port()
    config = SinkConfig(KEY_ID, SECRET, report_url=f"http://127.0.0.1:{receiver_port}/report", push_every_s=0.05)
    servers = []
    for app, port in ((create_app(config), sink_port), (receiver, receiver_port)):
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        servers.append((server, asyncio.create_task(server.serve())))
        while not server.started:  # noqa: ASYNC110 (uvicorn offers no start event)
            await asyncio.sleep(0.02)
    yield f"http://127.0.0.1:{sink_port}", pushed
    for server, task in servers:
        server.should_exit = True
        await task


def client(url: str, secret: str = SECRET) -> Client:
    return Client(
        openapi.Config(
            access_key_id=KEY_ID, access_key_secret=secret, endpoint=url.removeprefix("http://"), protocol="http"
        )
    )


def send_request(to: str) -> sms.SendSmsRequest:
    return sms.SendSmsRequest(
        phone_numbers=to,
        sign_name="居住证运维",
        template_code="SMS_480001001",
        template_param=json.dumps({"number": "20261207-0001", "title": "读卡器 故障&?=+"}, ensure_ascii=False),
        out_id=str(uuid.uuid4()),
    )


def signed(url: str, query: dict[str, str], body: bytes = b"", action: str = "SendSms") -> DaraRequest:
    """A request signed exactly as alibabacloud_tea_openapi 0.4.x signs it (its own Utils)."""
    request = DaraRequest()
    request.method, request.pathname, request.query = "POST", "/", dict(query)
    request.headers = {
        "host": url.removeprefix("http://"),
        "x-acs-version": "2017-05-25",
        "x-acs-action": action,
        "x-acs-date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "x-acs-signature-nonce": uuid.uuid4().hex,
        "x-acs-content-sha256": hashlib.sha256(body).hexdigest(),
        "accept": "application/json",
    }
    if body:
        request.headers["content-type"] = "application/x-www-form-urlencoded"
    request.headers["Authorization"] = Utils.get_authorization(
        request, "ACS3-HMAC-SHA256", hashlib.sha256(body).hexdigest(), KEY_ID, SECRET
    )
    return request


async def post(url: str, request: DaraRequest, body: bytes = b"") -> httpx.Response:
    async with httpx.AsyncClient() as http:
        return await http.post(f"{url}/", params=request.query, headers=request.headers, content=body)


async def test_the_sdk_signature_is_verified_with_the_configured_secret(sink: tuple[str, list[Any]]) -> None:
    url, _ = sink
    answer = await client(url).send_sms_async(send_request("13800001234"))
    assert answer.status_code == 200 and answer.body.code == "OK" and answer.body.biz_id
    with pytest.raises(ClientException) as refused:
        await client(url, secret="not-the-secret").send_sms_async(send_request("13800001234"))
    assert refused.value.code == "SignatureDoesNotMatch" and refused.value.status_code == 400
    async with httpx.AsyncClient() as http:
        state = (await http.get(f"{url}/_sink/messages")).json()
    assert state["refused_signatures"] >= 1
    assert [m["out_id"] for m in state["messages"] if m["phone_number"] == "13800001234"]  # the good one only


async def test_a_request_changed_after_signing_or_replayed_is_refused(sink: tuple[str, list[Any]]) -> None:
    url, _ = sink
    query = {"PhoneNumbers": "13800005678", "SignName": "居住证运维", "TemplateCode": "SMS_480001001"}
    good = signed(url, query)
    assert (await post(url, good)).json()["Code"] == "OK"
    replayed = await post(url, good)  # the same nonce again
    assert replayed.status_code == 400 and replayed.json()["Code"] == "SignatureNonceUsed"
    tampered = signed(url, query)
    tampered.query["PhoneNumbers"] = "13900009999"
    answer = await post(url, tampered)
    assert answer.status_code == 400 and answer.json()["Code"] == "SignatureDoesNotMatch"
    body = b"PhoneNumberJson=%5B%2213800005678%22%5D"
    other_body = signed(url, {"TemplateCode": "SMS_1"}, body, action="SendBatchSms")
    answer = await post(url, other_body, body.replace(b"5678", b"5679"))
    assert answer.status_code == 400 and answer.json()["Code"] == "IncompleteSignature"  # body hash differs
    unsigned = await httpx.AsyncClient().post(f"{url}/", params=query, headers={"x-acs-action": "SendSms"})
    assert unsigned.status_code == 400 and unsigned.json()["Code"] == "IncompleteSignature"


async def test_batches_are_limited_to_100_and_reports_are_pushed_as_arrays(sink: tuple[str, list[Any]]) -> None:
    url, pushed = sink
    sdk = client(url)
    numbers = [f"1360000{i:04d}" for i in range(101)]

    def batch(count: int) -> sms.SendBatchSmsRequest:
        return sms.SendBatchSmsRequest(
            phone_number_json=json.dumps(numbers[:count]),
            sign_name_json=json.dumps(["居住证运维"] * count, ensure_ascii=False),
            template_code="SMS_480009001",
            template_param_json=json.dumps([{"stage": "已制证"}] * count, ensure_ascii=False),
            out_id="batch-1",
        )

    over = await sdk.send_batch_sms_async(batch(101))
    assert over.body.code == "isv.MOBILE_COUNT_OVER_LIMIT"
    ok = await sdk.send_batch_sms_async(batch(100))
    assert ok.body.code == "OK"
    deadline = time.monotonic() + 10
    while sum(len(p) for p in pushed if p and p[0].get("out_id") == "batch-1") < 100:
        assert time.monotonic() < deadline, "the stand-in did not push its reports"
        await asyncio.sleep(0.05)
    reports = [r for p in pushed for r in p if r["out_id"] == "batch-1"]
    assert {r["phone_number"] for r in reports} == set(numbers[:100])
    assert all(r["success"] and r["err_code"] == "DELIVERED" and r["biz_id"] == ok.body.biz_id for r in reports)
    assert any(len(p) > 1 for p in pushed)  # several reports per push, as Aliyun's batch push
    details = await sdk.query_send_details_async(
        sms.QuerySendDetailsRequest(
            phone_number=numbers[0],
            send_date=datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y%m%d"),
            page_size=50,
            current_page=1,
        )
    )
    found = details.body.sms_send_detail_dtos.sms_send_detail_dto
    assert details.body.code == "OK" and any(d.out_id == "batch-1" and d.send_status == 3 for d in found)
