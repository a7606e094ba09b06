from pathlib import Path
from typing import ClassVar

from pydantic import Field

from opsdesk_shared.settings import ServiceSettings


class AssetsSettings(ServiceSettings):
    service_name: ClassVar[str] = "assets"

    # An imported ledger is read whole into memory and checked row by row before anything is written.
    import_max_bytes: int = Field(default=20 * 1024 * 1024, ge=1024)
    import_max_rows: int = Field(default=60_000, ge=1)
    # How often the worker makes due rounds and records missed ones (it also does at start).
    inspection_tick_s: float = Field(default=30.0, gt=0)
    # Alerts naming neither a ledger asset nor a unit go to this unit (by code: the vendor's), flagged "unit
    # unknown" for a dispatcher to reclassify; unset or unknown: the root of the unit tree.
    monitoring_fallback_unit: str | None = None
    # A TrueType font with Chinese glyphs, embedded in the labels' PDF (Debian: fonts-wqy-microhei).
    label_font_path: Path = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
    # Visit plans: how often the worker makes the visits owed (a new period, a new station).
    visit_tick_s: float = Field(default=300.0, gt=0)
    # The region a visited unit's contact number is read in when written without a country code.
    default_phone_region: str = "CN"
