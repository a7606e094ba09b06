from datetime import time
from typing import ClassVar

from pydantic import AliasChoices, Field, SecretStr, model_validator

from notifications.policy import Limits
from opsdesk_shared.settings import ServiceSettings

# With no Twilio credentials, messages go to the local Twilio-compatible sink (dev only, SPEC §8).
SINK_ACCOUNT_SID = "AC00000000000000000000000000000000"
SINK_AUTH_TOKEN = "opsdesk-dev-sink-token"
SINK_FROM_NUMBER = "+15005550006"
SINK_BASE_URL = "http://127.0.0.1:8109"


class NotificationsSettings(ServiceSettings):
    service_name: ClassVar[str] = "notifications"

    twilio_account_sid: str | None = Field(default=None, validation_alias=AliasChoices("TWILIO_ACCOUNT_SID"))
    twilio_auth_token: SecretStr | None = Field(default=None, validation_alias=AliasChoices("TWILIO_AUTH_TOKEN"))
    twilio_from_number: str | None = Field(default=None, validation_alias=AliasChoices("TWILIO_FROM_NUMBER"))
    twilio_messaging_service_sid: str | None = Field(
        default=None, validation_alias=AliasChoices("TWILIO_MESSAGING_SERVICE_SID")
    )
    twilio_api_base_url: str | None = Field(default=None, validation_alias=AliasChoices("TWILIO_API_BASE_URL"))
    twilio_timeout_s: float = 10.0
    sms_signature: str = "【居住证运维】"
    sms_max_attempts: int = 8
    sms_backoff_base_s: float = 2.0  # attempt n waits base * 2^(n-1), jittered, capped at 5 minutes
    sms_send_concurrency: int = 32
    # Non-urgent messages to requesters wait out the night (Asia/Shanghai) and a per-recipient limit.
    sms_quiet_hours_start: time = time(22, 0)
    sms_quiet_hours_end: time = time(7, 0)
    sms_per_recipient_per_hour: int = Field(default=10, ge=1)
    # Ticket news to one number within this many seconds of its last goes out as one SMS naming each ticket
    # (merging.py): a minute, the per-number spacing domestic providers enforce by default.
    sms_merge_window_s: float = Field(default=60.0, ge=0)
    # A merged SMS is at most this many segments (5: 335 Chinese characters); news that does not fit waits a window.
    sms_merge_max_segments: int = Field(default=5, ge=1)
    # After this many provider failures in a row the sender stops calling it for a while (circuit breaker).
    sms_breaker_threshold: int = Field(default=5, ge=1)
    sms_breaker_cooldown_s: float = Field(default=30.0, gt=0)

    @property
    def limits(self) -> Limits:
        return Limits(self.sms_quiet_hours_start, self.sms_quiet_hours_end, self.sms_per_recipient_per_hour)

    @model_validator(mode="after")
    def _sink_only_outside_production(self) -> "NotificationsSettings":
        if self.uses_sink and self.environment == "production":
            raise ValueError("TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN are required in production")
        return self

    @property
    def uses_sink(self) -> bool:
        return not (self.twilio_account_sid and self.twilio_auth_token)

    @property
    def account_sid(self) -> str:
        return self.twilio_account_sid or SINK_ACCOUNT_SID

    @property
    def auth_token(self) -> str:
        return self.twilio_auth_token.get_secret_value() if self.twilio_auth_token else SINK_AUTH_TOKEN

    @property
    def api_base_url(self) -> str:
        return (self.twilio_api_base_url or (SINK_BASE_URL if self.uses_sink else "https://api.twilio.com")).rstrip("/")

    @property
    def from_number(self) -> str | None:
        if self.twilio_messaging_service_sid:
            return None
        return self.twilio_from_number or SINK_FROM_NUMBER
