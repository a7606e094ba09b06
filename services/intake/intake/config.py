from typing import ClassVar

from opsdesk_shared.settings import ServiceSettings


class IntakeSettings(ServiceSettings):
    service_name: ClassVar[str] = "intake"
    default_phone_region: str = "CN"
