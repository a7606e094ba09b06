"""Alibaba Cloud SMS (Dysmsapi 2017-05-25) through its official SDK `alibabacloud_dysmsapi20170525` (pinned 4.6.0,
whose OpenAPI core signs every call with ACS3-HMAC-SHA256 in the Authorization header).

- SendSms for one message, with `OutId` = OpsDesk's message id; SendBatchSms for up to 100 messages of one template
  (Dysmsapi's documented per-call limit) under one OutId recorded on each message before the call.
- Dysmsapi has no idempotency key either ("不支持幂等"): after an uncertain call, `find_sent` asks QuerySendDetails
  for the number's messages of the day the message was created (and today) and looks for its OutId.
- A message is known to receipts (SmsReport) by its OutId and number: `provider_sid` is `<OutId>:<hash of the
  number>`, the same whether it comes from the send, the reconciliation or the receipt, without the number in clear.
- Error codes map to retry / give up / opt-out / wait for a per-number cap (`classify`, tested as a table).
"""

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from alibabacloud_dysmsapi20170525 import models as sms
from alibabacloud_dysmsapi20170525.client import Client
from alibabacloud_tea_openapi import utils_models as openapi
from alibabacloud_tea_openapi.exceptions import AlibabaCloudException, ThrottlingException
from darabonba.runtime import RuntimeOptions
from Tea.exceptions import UnretryableException

from notifications.providers.base import Outgoing, ProviderError, Sent

SHANGHAI = ZoneInfo("Asia/Shanghai")
BATCH_LIMIT = 100  # SendBatchSms: "You can send messages to a maximum of 100 phone numbers in a single call."
QUERY_PAGE_SIZE = 50  # QuerySendDetails' largest page


@dataclass(frozen=True)
class Verdict:
    """What a Dysmsapi error code means for the message: `retry` (with back-off; `outage` counts towards the
    circuit breaker), `give_up`, `opt_out` (give up and record the number's refusal), or `cap` (a per-number cap:
    wait for its window, or give up with the reason when that is too long)."""

    action: str
    outage: bool = False


# Dysmsapi's codes (the API's error centre, and the SDK's error codes); unknown `isv.*` codes give up (a request
# problem retrying cannot mend), unknown others retry.
ERRORS: dict[str, Verdict] = {
    "isv.BUSINESS_LIMIT_CONTROL": Verdict("cap"),
    "isv.DAY_LIMIT_CONTROL": Verdict("cap"),
    "isv.MOBILE_NUMBER_ILLEGAL": Verdict("give_up"),
    "isv.MOBILE_COUNT_OVER_LIMIT": Verdict("give_up"),
    "isv.TEMPLATE_MISSING_PARAMETERS": Verdict("give_up"),
    "isv.TEMPLATE_PARAMS_ILLEGAL": Verdict("give_up"),
    "isv.INVALID_PARAMETERS": Verdict("give_up"),
    "isv.INVALID_JSON_PARAM": Verdict("give_up"),
    "isv.PARAM_LENGTH_LIMIT": Verdict("give_up"),
    "isv.PARAM_NOT_SUPPORT_URL": Verdict("give_up"),
    "isv.BLACK_KEY_CONTROL_LIMIT": Verdict("give_up"),  # a blacklisted keyword in a parameter
    "isv.SMS_TEMPLATE_ILLEGAL": Verdict("give_up"),
    "isv.SMS_SIGNATURE_ILLEGAL": Verdict("give_up"),
    "isv.SMS_SIGN_ILLEGAL": Verdict("give_up"),
    "isv.EXTEND_CODE_ERROR": Verdict("give_up"),
    "isv.DOMESTIC_NUMBER_NOT_SUPPORTED": Verdict("give_up"),
    "MOBILE_IN_BLACK": Verdict("opt_out"),  # the number is on the carrier's or Aliyun's blacklist (退订)
    "isv.MOBILE_IN_BLACK": Verdict("opt_out"),
    "USER_REJECT": Verdict("opt_out"),
    # The account, not the message: keep every message and let the breaker pause until someone fixes it.
    "isv.AMOUNT_NOT_ENOUGH": Verdict("retry", outage=True),
    "isv.OUT_OF_SERVICE": Verdict("retry", outage=True),
    "isv.PRODUCT_UN_SUBSCRIPT": Verdict("retry", outage=True),
    "isv.PRODUCT_UNSUBSCRIBE": Verdict("retry", outage=True),
    "isv.ACCOUNT_NOT_EXISTS": Verdict("retry", outage=True),
    "isv.ACCOUNT_ABNORMAL": Verdict("retry", outage=True),
    "isv.DENY_IP_RANGE": Verdict("retry", outage=True),
    "isp.RAM_PERMISSION_DENY": Verdict("retry", outage=True),
    "isp.SYSTEM_ERROR": Verdict("retry", outage=True),
    "isp.GATEWAY_ERROR": Verdict("retry", outage=True),
    "SignatureDoesNotMatch": Verdict("retry", outage=True),
    "IncompleteSignature": Verdict("retry", outage=True),
    "InvalidAccessKeyId.NotFound": Verdict("retry", outage=True),
    "InvalidAccessKeyId.Inactive": Verdict("retry", outage=True),
    "SignatureNonceUsed": Verdict("retry", outage=True),
    "InvalidTimeStamp.Expired": Verdict("retry", outage=True),
    "Throttling": Verdict("retry", outage=True),
    "Throttling.User": Verdict("retry", outage=True),
    "Throttling.Api": Verdict("retry", outage=True),
    "ServiceUnavailable": Verdict("retry", outage=True),
    "InternalError": Verdict("retry", outage=True),
}
CAP_WINDOWS = (("分钟", 60.0), ("minute", 60.0), ("小时", 3600.0), ("hour", 3600.0), ("天", 86400.0), ("day", 86400.0))


def verdict_of(code: str) -> Verdict:
    if code in ERRORS:
        return ERRORS[code]
    if code.startswith("Throttling"):
        return Verdict("retry", outage=True)
    return Verdict("give_up") if code.startswith("isv.") else Verdict("retry", outage=True)


def cap_window_s(message: str) -> float:
    """The window of the per-number cap Dysmsapi names (触发分钟级流控 / 小时级 / 天级); a day when unnamed
    (notification templates are capped per day)."""
    for word, seconds in CAP_WINDOWS:
        if word in message:
            return seconds
    return 86400.0


def classify(code: str, message: str, *, cap_max_wait_s: float, retry_after_s: float | None = None) -> ProviderError:
    verdict = verdict_of(code)
    text = f"{code}: {message}"[:480]
    if verdict.action == "cap":
        window = cap_window_s(message)
        if window <= cap_max_wait_s:
            return ProviderError(
                f"the provider's per-number cap; waiting {window:.0f} s for its window ({text})",
                code=code,
                retryable=True,
                retry_after_s=window,
                outage=False,
            )
        return ProviderError(f"the provider's per-number cap is reached for today ({text})", code=code, retryable=False)
    if verdict.action == "opt_out":
        return ProviderError(f"the recipient refuses SMS ({text})", code=code, retryable=False, opt_out=True)
    if verdict.action == "give_up":
        return ProviderError(text, code=code, retryable=False)
    return ProviderError(text, code=code, retryable=True, outage=verdict.outage, retry_after_s=retry_after_s)


def number_hash(phone: str) -> str:
    return hashlib.sha256(phone.encode()).hexdigest()[:16]


def provider_sid(out_id: str, phone: str) -> str:
    """How receipts (out_id, phone_number) name a message: no number in clear, the same for single and batch."""
    return f"{out_id}:{number_hash(national(phone))}"


def national(phone: str) -> str:
    """Dysmsapi's form of a mainland number: 11 digits, no +86."""
    digits = phone.removeprefix("+")
    return digits[2:] if digits.startswith("86") and len(digits) == 13 else digits


class AliyunProvider:
    name = "aliyun"
    batch_size = BATCH_LIMIT

    def __init__(
        self,
        *,
        access_key_id: str,
        access_key_secret: str,
        endpoint: str,
        sign_name: str,
        timeout_s: float,
        cap_max_wait_s: float,
        is_sink: bool,
    ) -> None:
        protocol = "http" if endpoint.startswith("http://") else "https"
        host = re.sub(r"^https?://", "", endpoint).rstrip("/")
        self.client = Client(
            openapi.Config(
                access_key_id=access_key_id,
                access_key_secret=access_key_secret,
                endpoint=host,
                protocol=protocol,
                connect_timeout=int(timeout_s * 1000),
                read_timeout=int(timeout_s * 1000),
            )
        )
        self.sign_name = sign_name
        self.cap_max_wait_s = cap_max_wait_s
        self.is_sink = is_sink
        self.runtime = RuntimeOptions(
            connect_timeout=int(timeout_s * 1000), read_timeout=int(timeout_s * 1000), autoretry=False
        )

    async def send(self, message: Outgoing, *, status_callback: str) -> Sent:
        """SendSms; receipts come by SmsReport push (configured in Aliyun's console), not per message."""
        out_id = message.out_id or str(message.id)
        request = sms.SendSmsRequest(
            phone_numbers=national(message.to),
            sign_name=self.sign_name,
            template_code=self._code(message),
            template_param=json.dumps(message.params, ensure_ascii=False) if message.params else None,
            out_id=out_id,
        )
        body = await self._call(self.client.send_sms_with_options_async(request, self.runtime), uncertain=True)
        self._check(body.code, body.message)
        return Sent(provider_sid=provider_sid(out_id, message.to), status="sent")

    async def send_batch(self, messages: list[Outgoing], *, out_id: str) -> list[Sent]:
        """SendBatchSms: one template, up to 100 numbers (each once), each with its own parameters."""
        assert 0 < len(messages) <= BATCH_LIMIT
        assert len({m.to for m in messages}) == len(messages), "one call carries a number once"
        request = sms.SendBatchSmsRequest(
            phone_number_json=json.dumps([national(m.to) for m in messages]),
            sign_name_json=json.dumps([self.sign_name] * len(messages), ensure_ascii=False),
            template_code=self._code(messages[0]),
            template_param_json=json.dumps([m.params for m in messages], ensure_ascii=False),
            out_id=out_id,
        )
        body = await self._call(self.client.send_batch_sms_with_options_async(request, self.runtime), uncertain=True)
        self._check(body.code, body.message)
        return [Sent(provider_sid=provider_sid(out_id, m.to), status="sent") for m in messages]

    async def find_sent(self, message: Outgoing) -> Sent | None:
        """QuerySendDetails for the number on the day (Asia/Shanghai) the message was created and today, looking
        for its OutId. An attempt only follows its message within minutes, so two days cover it."""
        out_id = message.out_id or str(message.id)
        days = sorted({message.created_at.astimezone(SHANGHAI).date(), datetime.now(UTC).astimezone(SHANGHAI).date()})
        for day in days:
            page = 1
            while True:
                request = sms.QuerySendDetailsRequest(
                    phone_number=national(message.to),
                    send_date=day.strftime("%Y%m%d"),
                    page_size=QUERY_PAGE_SIZE,
                    current_page=page,
                )
                try:
                    body = await self._call(
                        self.client.query_send_details_with_options_async(request, self.runtime), uncertain=True
                    )
                    self._check(body.code, body.message)
                except ProviderError as exc:
                    raise ProviderError(
                        f"could not reconcile with provider: {exc}", code="reconcile", retryable=True, uncertain=True
                    ) from exc
                details = body.sms_send_detail_dtos.sms_send_detail_dto if body.sms_send_detail_dtos else []
                for detail in details or []:
                    if detail.out_id == out_id:
                        return Sent(provider_sid=provider_sid(out_id, message.to), status="sent")
                if len(details or []) < QUERY_PAGE_SIZE or page * QUERY_PAGE_SIZE >= int(body.total_count or 0):
                    break
                page += 1
        return None

    async def close(self) -> None:
        return None  # the SDK opens and closes a session per call

    def _code(self, message: Outgoing) -> str:
        if not message.template_code:
            raise ProviderError(
                "the template has no Aliyun template code (set provider_code on it)",
                code="no_provider_template",
                retryable=False,
            )
        return message.template_code

    def _check(self, code: str | None, message: str | None) -> None:
        if code != "OK":
            raise classify(code or "unknown", message or "", cap_max_wait_s=self.cap_max_wait_s)

    async def _call(self, call, *, uncertain: bool):  # type: ignore[no-untyped-def]
        try:
            response = await call
        except ThrottlingException as exc:
            retry_after = (exc.retry_after or 0) / 1000 or None
            raise classify(
                str(exc.code), str(exc.message), cap_max_wait_s=self.cap_max_wait_s, retry_after_s=retry_after
            ) from exc
        except AlibabaCloudException as exc:
            code = str(exc.code or exc.status_code)
            if exc.status_code and exc.status_code >= 500:
                raise ProviderError(f"provider answered {exc.status_code}: {code}", code=code, retryable=True) from exc
            raise classify(code, str(exc.message), cap_max_wait_s=self.cap_max_wait_s) from exc
        except UnretryableException as exc:
            inner = getattr(exc, "inner_exception", None)
            text = str(getattr(inner, "message", "") or inner or exc)
            if "Cannot connect to host" in text:  # never reached the provider
                raise ProviderError("provider unreachable", code="unreachable", retryable=True) from exc
            raise ProviderError(
                f"provider timed out or the connection broke: {text[:200]}",
                code="timeout",
                retryable=True,
                uncertain=uncertain,
            ) from exc
        return response.body
