"""The dashboard's report list offers equipment statistics (设备统计与故障分析), the machine-room inspection
report (机房巡检报告) and the spare-parts report (备品备件报表), each downloadable in every format, in Chinese
and in English."""

import re
from pathlib import Path

from playwright.sync_api import expect

from tests.conftest import Stack
from tests.e2e.conftest import OpenDesk


def test_the_equipment_machine_room_and_spares_reports_download_from_the_dashboard(
    stack: Stack, desks: OpenDesk
) -> None:
    supervisor = desks("supervisor")
    supervisor.login()
    expect(supervisor.page).to_have_url(re.compile(r"/ui/dashboard$"))
    downloads = supervisor.page.locator("#downloads")
    for name in ("设备统计与故障分析", "机房巡检报告", "备品备件报表"):
        expect(downloads.get_by_text(name, exact=True)).to_be_visible()
    downloads.scroll_into_view_if_needed()
    supervisor.shot("report-list")
    # Each download is the format it claims: PDF a PDF, CSV UTF-8 with a byte-order mark, XLSX a zip.
    for report, signature in (
        ("equipment-pdf", b"%PDF"),
        ("equipment-xlsx", b"PK\x03\x04"),
        ("machine-room-csv", b"\xef\xbb\xbf"),
        ("machine-room-pdf", b"%PDF"),
        ("spares-pdf", b"%PDF"),
        ("spares-csv", b"\xef\xbb\xbf"),
    ):
        with supervisor.page.expect_download() as download:
            supervisor.page.locator(f"[data-report={report}]").click()
        content = Path(download.value.path()).read_bytes()
        assert content.startswith(signature) and len(content) > 100, (report, content[:20])

    # The spares page offers its stock report in every format too.
    supervisor.goto("/ui/spares")
    for button, signature in (("#spares-report-pdf", b"%PDF"), ("#spares-report-csv", b"\xef\xbb\xbf")):
        with supervisor.page.expect_download() as download:
            supervisor.page.locator(button).click()
        assert Path(download.value.path()).read_bytes().startswith(signature), button
    supervisor.shot("spares-report-buttons")

    english = desks("dispatcher")
    english.login()
    english.page.locator("#lang-en").click()
    expect(english.page.locator("html")).to_have_attribute("lang", "en")
    english.goto("/ui/dashboard")
    list_ = english.page.locator("#downloads")
    for name in ("Equipment statistics and fault analysis", "Machine-room inspection report", "Spare-parts report"):
        expect(list_.get_by_text(name, exact=True)).to_be_visible()
    english.shot("report-list-en")
