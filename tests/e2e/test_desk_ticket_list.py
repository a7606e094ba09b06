"""Staff find tickets (issue 19): the supervisor's ticket list with filters, masked requesters, a saved
view, the CSV of the view, the dashboard's numbers landing on the list they count, and the report period
picker asking for the chosen week."""

import csv
import io
import json
import re
import uuid
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from playwright.sync_api import expect

from tests.conftest import Stack
from tests.e2e.conftest import OpenDesk
from tests.e2e.test_walking_skeleton import file_ticket


def test_the_supervisor_filters_the_ticket_list_saves_a_view_and_exports_it(stack: Stack, desks: OpenDesk) -> None:
    client, operator = stack.client(), stack.token("operator")
    units = {
        u["code"]: u["id"]
        for u in client.get("/api/admin/units", headers={"Authorization": f"Bearer {operator}"}).json()
    }
    marker = uuid.uuid4().hex[:5]

    def ticket(unit: str, priority: str) -> str:
        phone = f"1392{uuid.uuid4().int % 10**7:07d}"
        made = file_ticket(
            client,
            operator,
            units[unit],
            phone,
            title=f"制证机故障 {marker}",
            priority=priority,
            requester_name="张三丰",
        )
        return str(made["number"])

    wanted = {ticket("BJ-CY-WJ", "P1"), ticket("BJ-CY-LG1", "P1")}
    ticket("BJ-CY-WJ", "P3")  # in the subtree, another priority
    ticket("BJ-HD-ZGC", "P1")  # the priority, another subtree

    supervisor = desks("supervisor")
    supervisor.login()
    page = supervisor.page
    page.locator("nav a[href='/ui/tickets']").click()
    form = page.locator("#ticket-filters form.filters")
    form.locator("[name=unit_id]").select_option(units["BJ-CY"])
    form.locator("[name=priority]").select_option("P1")
    form.locator("[name=q]").fill(marker)
    form.locator("button[type=submit]").click()
    expect(page.locator("#ticket-total")).to_have_text("2")
    rows = page.locator("#ticket-table tbody tr")
    expect(rows).to_have_count(2)
    assert {rows.nth(i).get_attribute("data-ticket") for i in range(2)} == wanted
    expect(page.locator("#ticket-table td.requester").first).to_have_text("张**")  # masked for a supervisor
    expect(page.locator("#ticket-table")).not_to_contain_text("张三丰")
    supervisor.shot("ticket-list-filtered")

    page.locator("#save-view [name=name]").fill(f"朝阳P1 {marker}")
    page.locator("#save-view button").click()
    chip = page.locator(f"#saved-views [data-view='朝阳P1 {marker}']")
    expect(chip).to_be_visible()
    supervisor.goto("/ui/tickets")  # everything again, then the saved view brings the filters back
    page.locator(f"#saved-views [data-view='朝阳P1 {marker}']").click()
    expect(page.locator("#ticket-total")).to_have_text("2")
    expect(page.locator("#ticket-filters [name=priority]")).to_have_value("P1")
    expect(page.locator("#ticket-filters [name=unit_id]")).to_have_value(units["BJ-CY"])
    supervisor.shot("saved-view-reopened")

    with page.expect_download() as download:
        page.locator("#export-csv").click()
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    exported = list(csv.reader(io.StringIO(text)))
    assert {r[0] for r in exported[1:]} == wanted, exported
    assert {r[8] for r in exported[1:]} == {"张**"} and all("****" in r[9] for r in exported[1:])

    # A dashboard number lands on the list it counts.
    supervisor.goto("/ui/dashboard")
    p1 = page.locator("[data-backlog-priority=P1]")
    counted = p1.inner_text()
    supervisor.shot("dashboard-backlog")
    p1.click()
    expect(page).to_have_url(re.compile(r"/ui/tickets\?"))
    query = parse_qs(urlparse(page.url).query)
    assert query["status"] == ["open"] and query["priority"] == ["P1"]
    expect(page.locator("#ticket-total")).to_have_text(counted)
    supervisor.shot("dashboard-number-to-list")


def test_the_period_picker_asks_for_the_chosen_weeks_report(stack: Stack, desks: OpenDesk) -> None:
    supervisor = desks("supervisor")
    supervisor.login()
    page = supervisor.goto("/ui/dashboard")
    periods = page.locator("#report-periods")
    periods.locator("[name=week]").fill("2026-W10")
    periods.locator("button[type=submit]").click()
    expect(page.locator("[data-period=weekly]")).to_have_text("2026年第10周（3月2日至3月8日）")
    expect(page.locator("#downloads")).not_to_contain_text("week=")  # no raw query strings
    supervisor.shot("report-periods")
    with page.expect_download() as download:
        page.locator("[data-report=weekly-json]").click()
    report = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert report["week"] == "2026-W10" and report["summary"]["period"]["first_day"] == "2026-03-02"
