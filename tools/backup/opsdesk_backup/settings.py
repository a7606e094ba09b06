from typing import ClassVar

from opsdesk_shared.settings import ServiceSettings

# Every database the system owns, one per service (SPEC §3).
SERVICES = ("gateway", "intake", "dispatch", "notifications", "reporting", "assets")


class BackupSettings(ServiceSettings):
    """Only the database server and prefix are used: `<prefix>_<service>` for every service."""

    service_name: ClassVar[str] = "backup"

    def database_for(self, service: str) -> str:
        return f"{self.database_prefix}_{service}"

    def url_for(self, service: str) -> str:
        return f"{self.database_url.rstrip('/')}/{self.database_for(service)}"
