"""The staff's ticket list (issue 19): the filters the list page offers (unit subtree, priority, engineer,
SLA state), the count over every page, sorting, the CSV export of the same view (masked as the caller sees
it, cells neutralised) and the backlog now; masked roles cannot filter by the requester's phone."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import httpx

from opsdesk_shared.contracts.dispatch import WorkOrderAssigned
from opsdesk_shared.testing.plugin import RunEnvironment
from opsdesk_shared.testing.workers import eventually, publish

if TYPE_CHECKING:  # pytest imports the conftest; its classes serve here as annotations only
    from tests.conftest import Units


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def body(unit: uuid.UUID, **overrides: object) -> dict[str, object]:
    return {
        "title": "打印机卡纸",
        "description": "制证打印机卡纸",
        "category": "fault",
        "priority": "P3",
        "unit_id": str(unit),
        "requester_name": "王芳",
        "requester_phone": "13900139000",
        "channel": "hotline",
        **overrides,
    }


async def test_staff_list_filters_counts_sorts_and_exports(
    intake_client: httpx.AsyncClient, migrated: RunEnvironment, units: Units
) -> None:
    district = await units.add(kind="sub_bureau")
    station = await units.add(district)
    elsewhere = await units.add(kind="sub_bureau")
    operator = auth(migrated.token("hotline_operator"))
    supervisor = auth(migrated.token("supervisor"))
    marker = uuid.uuid4().hex[:6]

    async def file(unit: list[uuid.UUID], **overrides: object) -> dict:
        resp = await intake_client.post(
            "/api/tickets", headers=operator, json=body(unit[-1], **{"title": f"读卡器故障 {marker}", **overrides})
        )
        assert resp.status_code == 201, resp.text
        return resp.json()

    urgent = await file(station, priority="P1", title=f"=HYPERLINK(1) {marker}")
    routine = await file(station, priority="P3")
    at_district = await file(district, priority="P1")
    far = await file(elsewhere, priority="P1")
    engineer = f"工程师{marker}"
    await publish(
        migrated.amqp_url,
        WorkOrderAssigned(
            work_order_id=uuid.uuid4(),
            ticket_id=uuid.UUID(urgent["id"]),
            status="assigned",
            engineer_id=uuid.uuid4(),
            engineer_name=engineer,
            at=datetime.now(UTC),
        ),
    )

    async def page(headers: dict[str, str] = supervisor, **params: str | int) -> dict:
        resp = await intake_client.get("/api/tickets", headers=headers, params={"q": marker, **params})
        assert resp.status_code == 200, resp.text
        return resp.json()

    async def assigned() -> bool:
        return [t["id"] for t in (await page(engineer=engineer))["items"]] == [urgent["id"]]

    await eventually(assigned)
    subtree = await page(unit_id=str(district[-1]), priority="P1", sort="number", page=1)
    assert {t["id"] for t in subtree["items"]} == {urgent["id"], at_district["id"]} and subtree["total"] == 2
    assert far["id"] not in {t["id"] for t in (await page(unit_id=str(district[-1])))["items"]}
    # The count covers every page, not the one shown.
    first = await page(sort="-priority", page=1, limit=1)
    assert first["total"] == 4 and len(first["items"]) == 1 and first["next_page"] == 2
    by_priority = await page(sort="priority", page=1, limit=4)
    assert [t["priority"] for t in by_priority["items"]] == ["P1", "P1", "P1", "P3"]
    assert by_priority["items"][-1]["id"] == routine["id"]
    assert (await page(sort="status", page=1))["total"] == 4
    assert (await page(sla_state="breached", sort="number"))["total"] == 0
    # Supervisors see the requester masked, and cannot look people up by number.
    assert {t["requester_name"] for t in (await page())["items"]} == {"王*"}
    refused = await intake_client.get("/api/tickets", headers=supervisor, params={"requester_phone": "13900139000"})
    assert refused.status_code == 403 and refused.json()["rule"] == "masked-personal-data"

    exported = await intake_client.get(
        "/api/tickets/export",
        headers=supervisor,
        params={"q": marker, "unit_id": str(district[-1]), "priority": "P1", "sort": "number"},
    )
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(exported.text.removeprefix("\ufeff"))))
    assert rows[0][0] == "编号 Number"
    assert [r[0] for r in rows[1:]] == sorted([urgent["number"], at_district["number"]])
    by_number = {r[0]: r for r in rows[1:]}
    assert by_number[urgent["number"]][1].startswith("'=HYPERLINK")  # a formula opens as text
    assert by_number[urgent["number"]][8] == "王*" and "****" in by_number[urgent["number"]][9]
    assert by_number[urgent["number"]][10] == engineer
    requester = auth(migrated.token("requester", unit_id=station[-1]))
    assert (await intake_client.get("/api/tickets/export", headers=requester)).status_code == 403

    backlog = await intake_client.get("/api/tickets/backlog", headers=supervisor)
    assert backlog.status_code == 200, backlog.text
    counts = backlog.json()
    assert counts["by_status"]["assigned"] >= 1 and counts["by_priority"]["P1"] >= 3
    assert counts["total"] == sum(counts["by_status"].values())
