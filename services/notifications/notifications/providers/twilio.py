"""Twilio's Messages API through the `twilio` package, asynchronously, with an explicit time-out.

twilio-python has no base-URL option, so `_BaseUrlHttpClient` (its documented `http_client` hook)
rewrites `https://api.twilio.com` to TWILIO_API_BASE_URL. Twilio's API has no idempotency key: after
an uncertain failure `find_sent` lists the messages to that number before anything is resent.
"""

from contextvars import ContextVar
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

import aiohttp
from twilio.base.exceptions import TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from notifications.providers.base import Outgoing, ProviderError, Sent

TWILIO_API = "https://api.twilio.com"
# Permanent errors: retrying cannot help (invalid number, unsubscribed recipient, not SMS-capable, ...).
# How many of a number's newest messages reconciliation reads (Twilio lists the most recent first). It follows
# the uncertain attempt within minutes (the lease, a back-off of at most 5 minutes), and a number gets at most
# `sms_per_recipient_per_hour` non-urgent messages: the attempt is well inside this window.
RECONCILE_WINDOW = 200
PERMANENT_CODES = {"21211", "21610", "21614", "21408", "21612", "21606", "21660", "30003", "30004", "30005", "30006"}


# The Retry-After of the last answer in this task: TwilioRestException drops response headers.
_retry_after: ContextVar[float | None] = ContextVar("twilio_retry_after", default=None)


def _parse_retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            return max(
                0.0, (parsedate_to_datetime(value) - datetime.now(parsedate_to_datetime(value).tzinfo)).total_seconds()
            )
        except (TypeError, ValueError):
            return None


class _BaseUrlHttpClient(AsyncTwilioHttpClient):
    def __init__(self, base_url: str, timeout_s: float) -> None:
        super().__init__(pool_connections=False)
        self.base_url = base_url.rstrip("/")
        self.client_timeout = aiohttp.ClientTimeout(total=timeout_s)
        self.session = None

    async def request(
        self,
        method,
        url,
        params=None,
        data=None,
        headers=None,
        auth=None,
        timeout=None,  # type: ignore[no-untyped-def,override]
        allow_redirects=False,
    ) -> Response:
        if self.session is None:
            self.session = aiohttp.ClientSession(timeout=self.client_timeout)
        if url.startswith(TWILIO_API):
            url = self.base_url + url[len(TWILIO_API) :]
        basic = aiohttp.BasicAuth(*auth) if auth else None
        async with self.session.request(
            method.upper(), url, params=params, data=data, headers=headers, auth=basic, allow_redirects=allow_redirects
        ) as resp:
            _retry_after.set(_parse_retry_after(resp.headers.get("Retry-After")))
            return Response(resp.status, await resp.text(), resp.headers)


class TwilioProvider:
    name = "twilio"
    batch_size = 1

    def __init__(
        self,
        *,
        account_sid: str,
        auth_token: str,
        base_url: str,
        timeout_s: float,
        from_number: str | None,
        messaging_service_sid: str | None,
        is_sink: bool,
    ) -> None:
        self.http = _BaseUrlHttpClient(base_url, timeout_s)
        self.client = Client(account_sid, auth_token, http_client=self.http)
        self.from_number = from_number
        self.messaging_service_sid = messaging_service_sid
        self.is_sink = is_sink
        self.base_url = base_url

    async def send(self, message: Outgoing, *, status_callback: str) -> Sent:
        kwargs: dict[str, str] = {"to": message.to, "body": message.body, "status_callback": status_callback}
        if self.messaging_service_sid:
            kwargs["messaging_service_sid"] = self.messaging_service_sid
        else:
            kwargs["from_"] = self.from_number or ""
        try:
            message = await self.client.messages.create_async(**kwargs)
        except TwilioRestException as exc:
            error = _classify(exc)
            error.retry_after_s = _retry_after.get()
            raise error from exc
        except (TimeoutError, aiohttp.ServerTimeoutError) as exc:
            raise ProviderError("provider timed out", code="timeout", retryable=True, uncertain=True) from exc
        except aiohttp.ClientConnectorError as exc:  # never reached the provider
            raise ProviderError("provider unreachable", code="unreachable", retryable=True) from exc
        except aiohttp.ClientError as exc:  # the connection broke after the request may have gone out
            raise ProviderError(
                f"provider connection failed: {exc!r}", code="connection", retryable=True, uncertain=True
            ) from exc
        return Sent(provider_sid=message.sid or "", status=message.status or "queued")

    async def send_batch(self, messages: list[Outgoing], *, out_id: str) -> list[Sent]:
        raise NotImplementedError("Twilio sends one message per call (batch_size 1)")

    async def find_sent(self, outgoing: Outgoing) -> Sent | None:
        """Lists the newest messages to `to` and matches text and creation time here. Twilio's only date filter
        is on the sent date, which a message still in Twilio's queue does not have yet: filtering on it would
        miss exactly the message a time-out left behind, and send it again."""
        to, body, since = outgoing.to, outgoing.body, outgoing.created_at
        try:
            messages = await self.client.messages.list_async(to=to, limit=RECONCILE_WINDOW)
        except (TimeoutError, TwilioRestException, aiohttp.ClientError) as exc:
            raise ProviderError(
                "could not reconcile with provider", code="reconcile", retryable=True, uncertain=True
            ) from exc
        # A minute's grace for the clocks of two systems; the text tells our message from the number's others.
        earliest = since - timedelta(minutes=1)
        for message in messages:
            if message.body == body and (message.date_created is None or message.date_created >= earliest):
                return Sent(provider_sid=message.sid or "", status=message.status or "queued")
        return None

    async def close(self) -> None:
        if self.http.session is not None:
            await self.http.session.close()


def _classify(exc: TwilioRestException) -> ProviderError:
    code = str(exc.code) if exc.code else None
    if exc.status == 429 or exc.status >= 500:
        return ProviderError(f"provider answered {exc.status}", code=code or str(exc.status), retryable=True)
    retryable = code not in PERMANENT_CODES and exc.status in (408, 409)
    return ProviderError(
        exc.msg or f"provider refused ({exc.status})", code=code or str(exc.status), retryable=retryable
    )
