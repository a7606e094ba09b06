from datetime import time
from ipaddress import IPv4Network, IPv6Network
from typing import Annotated, ClassVar, Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import NoDecode

from notifications.policy import Limits
from opsdesk_shared.settings import ServiceSettings

# With no Twilio credentials, messages go to the local Twilio-compatible sink (dev only, SPEC §8).
SINK_ACCOUNT_SID = "AC00000000000000000000000000000000"
SINK_AUTH_TOKEN = "opsdesk-dev-sink-token"
SINK_FROM_NUMBER = "+15005550006"
SINK_BASE_URL = "http://127.0.0.1:8109"
# With OPSDESK_SMS_PROVIDER=aliyun and no access key, messages go to the local Dysmsapi stand-in (tools/aliyun_sink).
ALIYUN_SINK_ACCESS_KEY_ID = "LTAI-opsdesk-dev-sink"
ALIYUN_SINK_ACCESS_KEY_SECRET = "opsdesk-dev-aliyun-sink-secret"
ALIYUN_SINK_ENDPOINT = "127.0.0.1:8110"
ALIYUN_SINK_SIGN_NAME = "居住证运维"
ALIYUN_ENDPOINT = "dysmsapi.aliyuncs.com"


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
    # Which provider carries SMS (README "SMS providers"): Twilio, or Alibaba Cloud SMS (Dysmsapi) inside China.
    sms_provider: Literal["twilio", "aliyun"] = "twilio"
    aliyun_access_key_id: str | None = Field(default=None, validation_alias=AliasChoices("ALIYUN_ACCESS_KEY_ID"))
    aliyun_access_key_secret: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("ALIYUN_ACCESS_KEY_SECRET")
    )
    # The registered signature (签名) without brackets, e.g. 居住证运维; Aliyun adds 【】 itself.
    aliyun_sign_name: str | None = Field(
        default=None, validation_alias=AliasChoices("ALIYUN_SMS_SIGN_NAME", "aliyun_sign_name")
    )
    # host[:port] of Dysmsapi; `http://host:port` for the local stand-in (plain HTTP is refused in production).
    aliyun_endpoint: str | None = Field(
        default=None, validation_alias=AliasChoices("ALIYUN_SMS_ENDPOINT", "aliyun_endpoint")
    )
    aliyun_timeout_s: float = Field(default=5.0, gt=0)
    # SmsReport / SmsUp pushes carry no signature: they are accepted only from these networks (Aliyun's push
    # addresses, or the reverse proxy in front of notifications). Comma-separated CIDRs.
    aliyun_push_networks: Annotated[list[IPv4Network | IPv6Network], NoDecode] = Field(default_factory=list)
    # Whose X-Forwarded-For is believed for that check: the gateway (which sets it to the address it established,
    # never to what a client wrote). Loopback by default, where `make run` puts the gateway.
    aliyun_push_proxies: Annotated[list[IPv4Network | IPv6Network], NoDecode] = Field(
        default_factory=lambda: [IPv4Network("127.0.0.0/8"), IPv6Network("::1/128")]
    )
    # A per-number cap answered by Aliyun (isv.BUSINESS_LIMIT_CONTROL) makes the message wait for the cap's window
    # (a minute, an hour) when that is at most this long; longer (the daily cap) fails it with the reason.
    aliyun_cap_max_wait_s: float = Field(default=3600.0, ge=0)
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

    @field_validator("aliyun_push_networks", "aliyun_push_proxies", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @property
    def limits(self) -> Limits:
        return Limits(self.sms_quiet_hours_start, self.sms_quiet_hours_end, self.sms_per_recipient_per_hour)

    @model_validator(mode="after")
    def _sink_only_outside_production(self) -> "NotificationsSettings":
        if self.environment != "production":
            return self
        if self.sms_provider == "twilio" and self.uses_sink:
            raise ValueError("TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN are required in production")
        if self.sms_provider == "aliyun":
            missing = [
                name
                for name, value in (
                    ("ALIYUN_ACCESS_KEY_ID", self.aliyun_access_key_id),
                    ("ALIYUN_ACCESS_KEY_SECRET", self.aliyun_access_key_secret),
                    ("ALIYUN_SMS_SIGN_NAME", self.aliyun_sign_name),
                    ("ALIYUN_SMS_ENDPOINT", self.aliyun_endpoint),
                    ("OPSDESK_ALIYUN_PUSH_NETWORKS", self.aliyun_push_networks),
                )
                if not value
            ]
            if missing:
                raise ValueError(f"OPSDESK_SMS_PROVIDER=aliyun needs {', '.join(missing)} in production")
            if self.uses_sink:
                raise ValueError("ALIYUN_ACCESS_KEY_ID is the local stand-in's, refused in production")
            if (self.aliyun_endpoint or "").startswith("http://"):
                raise ValueError("ALIYUN_SMS_ENDPOINT must not be plain http:// in production")
        return self

    @property
    def uses_sink(self) -> bool:
        """The live provider is a local stand-in (development and tests only)."""
        if self.sms_provider == "aliyun":
            key = self.aliyun_access_key_id
            return not (key and self.aliyun_access_key_secret) or key == ALIYUN_SINK_ACCESS_KEY_ID
        return not (self.twilio_account_sid and self.twilio_auth_token)

    @property
    def provider_timeout_s(self) -> float:
        return self.aliyun_timeout_s if self.sms_provider == "aliyun" else self.twilio_timeout_s

    @property
    def aliyun_key_id(self) -> str:
        return self.aliyun_access_key_id or ALIYUN_SINK_ACCESS_KEY_ID

    @property
    def aliyun_key_secret(self) -> str:
        if self.aliyun_access_key_secret:
            return self.aliyun_access_key_secret.get_secret_value()
        return ALIYUN_SINK_ACCESS_KEY_SECRET

    @property
    def aliyun_sign(self) -> str:
        return self.aliyun_sign_name or ALIYUN_SINK_SIGN_NAME

    @property
    def aliyun_api_endpoint(self) -> str:
        if self.aliyun_endpoint:
            return self.aliyun_endpoint
        return ALIYUN_SINK_ENDPOINT if self.uses_sink else ALIYUN_ENDPOINT

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
