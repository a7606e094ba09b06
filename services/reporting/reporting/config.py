from datetime import date
from pathlib import Path
from typing import ClassVar

from pydantic import Field

from opsdesk_shared.settings import ServiceSettings


class ReportingSettings(ServiceSettings):
    service_name: ClassVar[str] = "reporting"

    # A TrueType font with Chinese glyphs, embedded in every PDF (Debian: fonts-wqy-microhei). A licensed
    # font of the bureau's choosing can be pointed at instead.
    report_font_path: Path = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
    # The contract year runs 29 May to 28 May (SPEC §2); `annual?year=2026` is 2026-05-29 – 2027-05-28.
    contract_year_start: date = date(2026, 5, 29)
    # The weekly report is generated for the week just ended every Monday at this local hour.
    weekly_archive_hour: int = 8
    # An XLSX or PDF asked for over HTTP is stopped after this long (503 with Retry-After): a busy week's
    # PDF takes about 3 s, so only a period far longer than any report the contract asks for comes near it.
    report_render_timeout_s: float = Field(default=60.0, gt=0)
    # XLSX and PDF files one user may have rendering at the same time (per API process); one more is a 429.
    report_renders_per_user: int = Field(default=1, ge=1)
