from typing import ClassVar

from pydantic import Field

from opsdesk_shared.settings import ServiceSettings


class DispatchSettings(ServiceSettings):
    service_name: ClassVar[str] = "dispatch"

    # The SLA timer: how many due clocks one transaction fires, and the longest it sleeps without a
    # NOTIFY (a safety net; normally it wakes at the next due instant).
    sla_timer_batch: int = Field(default=500, ge=1, le=10_000)
    sla_timer_max_sleep_s: float = Field(default=30.0, gt=0, le=300)
