from typing import ClassVar

from pydantic import Field

from opsdesk_shared.settings import ServiceSettings


class IntakeSettings(ServiceSettings):
    service_name: ClassVar[str] = "intake"
    default_phone_region: str = "CN"
    # Closed loop (SPEC §2): a resolved ticket nobody confirms closes itself after this quiet period.
    auto_close_after_h: float = Field(default=72.0, gt=0)
    auto_close_interval_s: float = Field(default=60.0, gt=0)
    # How long after resolution a requester may still reopen instead of filing anew.
    reopen_window_days: int = Field(default=7, ge=1, le=365)
