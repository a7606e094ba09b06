"""The SMS provider interface. Twilio is the first adapter; a domestic template-based provider is the
likely production one (PIPL Art. 36 keeps citizens' data in China), so nothing above this line may
depend on Twilio."""

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class Sent:
    provider_sid: str
    status: str


class ProviderError(Exception):
    """`retryable`: the message certainly was not accepted, try again later.
    `uncertain`: it may have been accepted (a time-out): reconcile before any resend."""

    def __init__(
        self,
        message: str,
        *,
        code: str | None,
        retryable: bool,
        uncertain: bool = False,
        retry_after_s: float | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.retryable = retryable
        self.uncertain = uncertain
        self.retry_after_s = retry_after_s


class SmsProvider(Protocol):
    name: str
    is_sink: bool

    async def send(self, *, to: str, body: str, status_callback: str) -> Sent: ...

    async def find_sent(self, *, to: str, body: str, since: datetime) -> Sent | None:
        """A message already accepted for `to` with this body since `since`, if any (reconciliation)."""
        ...

    async def close(self) -> None: ...
