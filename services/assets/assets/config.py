from typing import ClassVar

from pydantic import Field

from opsdesk_shared.settings import ServiceSettings


class AssetsSettings(ServiceSettings):
    service_name: ClassVar[str] = "assets"

    # An imported ledger is read whole into memory and checked row by row before anything is written.
    import_max_bytes: int = Field(default=20 * 1024 * 1024, ge=1024)
    import_max_rows: int = Field(default=60_000, ge=1)
