"""The SMS provider interface. Twilio sends free text; Alibaba Cloud SMS (providers/aliyun.py), the domestic
provider (PIPL Art. 36 keeps citizens' data in China), sends a registered template with parameters. Nothing above
this line depends on either."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol
from uuid import UUID


@dataclass(frozen=True)
class Outgoing:
    """One message as the provider gets it: the text (Twilio), or the template and its parameters (Aliyun), and
    the OutId under which a template provider records it (reconciliation looks for it)."""

    id: UUID
    to: str
    body: str
    created_at: datetime
    template_code: str | None = None
    params: dict[str, str] = field(default_factory=dict)
    out_id: str | None = None


@dataclass(frozen=True)
class Sent:
    provider_sid: str
    status: str


class ProviderError(Exception):
    """`retryable`: the message certainly was not accepted, try again later.
    `uncertain`: it may have been accepted (a time-out): reconcile before any resend.
    `outage`: says something about the provider (counts towards the circuit breaker); a per-number cap or a bad
    number does not. `opt_out`: the provider says the recipient refuses SMS (recorded as an opt-out)."""

    def __init__(
        self,
        message: str,
        *,
        code: str | None,
        retryable: bool,
        uncertain: bool = False,
        retry_after_s: float | None = None,
        outage: bool | None = None,
        opt_out: bool = False,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.retryable = retryable
        self.uncertain = uncertain
        self.retry_after_s = retry_after_s
        self.outage = retryable if outage is None else outage
        self.opt_out = opt_out


class SmsProvider(Protocol):
    name: str
    is_sink: bool
    # How many messages one call may carry (Aliyun's SendBatchSms: 100); 1: one call per message.
    batch_size: int

    async def send(self, message: Outgoing, *, status_callback: str) -> Sent: ...

    async def send_batch(self, messages: list[Outgoing], *, out_id: str) -> list[Sent]:
        """Several messages of one template in one call, under one OutId; all accepted or a ProviderError."""
        ...

    async def find_sent(self, message: Outgoing) -> Sent | None:
        """The message if the provider already accepted it (reconciliation after an uncertain attempt)."""
        ...

    async def close(self) -> None: ...
