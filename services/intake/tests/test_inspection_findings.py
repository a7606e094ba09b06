"""Inspection findings become tickets (issue 16), and tickets name ledger assets: a finding opens a ticket on
the channel `inspection` for the asset's unit with the inspector as reporter and no phone for SMS; a later
abnormal reading of the same item adds to that ticket while it is open; each finding's ticket is announced
once (`finding.ticketed`), however often the event comes. A person's unknown asset tag is refused; an
inspection's or monitoring's is flagged."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import asyncpg
import httpx
import pytest

from opsdesk_shared.contracts.assets import InspectionFindingRaised
from opsdesk_shared.contracts.envelope import Envelope
from opsdesk_shared.contracts.gateway import UserCreated
from opsdesk_shared.contracts.intake import TicketCreated
from opsdesk_shared.testing.plugin import RunEnvironment
from opsdesk_shared.testing.workers import eventually, publish

if TYPE_CHECKING:  # pytest imports the conftest; its classes serve here as annotations only
    from tests.conftest import Ledger, Units


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _fetch(env: RunEnvironment, query: str, *args: object) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(f"{env.servers.database_url}/{env.database_prefix}_intake")
    try:
        return list(await conn.fetch(query, *args))
    finally:
        await conn.close()


async def _outbox(env: RunEnvironment, event_type: str, key: str, value: str) -> list[dict[str, Any]]:
    rows = await _fetch(
        env,
        "SELECT envelope FROM outbox_message WHERE envelope->>'type' = $1 AND envelope->'data'->>$2 = $3 ORDER BY id",
        event_type,
        key,
        value,
    )
    return [json.loads(r["envelope"]) for r in rows]


def finding(
    asset_id: uuid.UUID, unit_id: uuid.UUID, inspector: uuid.UUID, **overrides: object
) -> InspectionFindingRaised:
    fields: dict[str, object] = {
        "finding_id": uuid.uuid4(),
        "round_id": uuid.uuid4(),
        "asset_id": asset_id,
        "tag": "JF-KT-001",
        "asset_class": "air_conditioner",
        "unit_id": unit_id,
        "site": "市局",
        "room": "一号机房",
        "item_key": "room_temperature",
        "item_label": "机房温度",
        "kind": "reading",
        "reading": 31.5,
        "measure_unit": "°C",
        "normal_low": 18,
        "normal_high": 27,
        "note": "空调出风口不冷",
        "inspector_id": inspector,
        "inspector_name": "eng-zhang",
        "raised_at": datetime.now(UTC),
        **overrides,
    }
    return InspectionFindingRaised.model_validate(fields)


@pytest.fixture(scope="module")
async def inspector(migrated: RunEnvironment, intake_client: httpx.AsyncClient) -> uuid.UUID:
    user_id = uuid.uuid4()
    await publish(
        migrated.amqp_url,
        UserCreated(
            user_id=user_id,
            username="eng-zhang",
            display_name="张工",
            phone="+8613900001111",
            roles=["engineer"],
            unit_id=None,
            is_active=True,
            aggregate_version=1,
        ),
    )

    async def known() -> bool:
        return bool(await _fetch(migrated, "SELECT 1 FROM known_user WHERE user_id = $1", user_id))

    await eventually(known)
    return user_id


async def _ticket_of(env: RunEnvironment, finding_id: uuid.UUID) -> str | None:
    rows = await _fetch(env, "SELECT ticket_id FROM finding_ticket WHERE finding_id = $1", finding_id)
    return str(rows[0]["ticket_id"]) if rows else None


async def test_a_finding_opens_an_inspection_ticket_for_the_asset_with_no_one_to_text(
    intake_client: httpx.AsyncClient, migrated: RunEnvironment, units: Units, ledger: Ledger, inspector: uuid.UUID
) -> None:
    unit = (await units.add())[-1]
    tag = f"JF-KT-{uuid.uuid4().hex[:4]}".upper()
    asset = await ledger.register(tag, unit, asset_class="air_conditioner", criticality="critical")
    raised = finding(asset, unit, inspector, tag=tag)

    await publish(migrated.amqp_url, raised)
    ticket_id = await eventually(lambda: _ticket_of(migrated, raised.finding_id))

    dispatcher = auth(migrated.token("dispatcher"))
    ticket = (await intake_client.get(f"/api/tickets/{ticket_id}", headers=dispatcher)).json()
    assert (ticket["channel"], ticket["status"], ticket["category"]) == ("inspection", "new", "fault")
    assert (ticket["asset_tag"], ticket["asset_id"], ticket["asset_unknown"]) == (tag, str(asset), False)
    assert ticket["unit_id"] == str(unit) and ticket["requester_name"] == "张工"
    assert ticket["priority"] == "P2"  # a critical asset
    assert ticket["subcategory"] == "hardware"
    assert "31.5 °C（正常 18–27 °C）" in ticket["description"] and tag in ticket["title"]
    created = ticket["timeline"][0]
    assert created["kind"] == "created" and created["detail"]["finding_id"] == str(raised.finding_id)

    [announced] = await _outbox(migrated, "ticket.created", "ticket_id", ticket_id)
    event = Envelope.model_validate(announced).parse(TicketCreated)
    assert event.requester_phone == "" and event.channel == "inspection"  # notifications has no one to text
    assert event.finding_id == raised.finding_id and event.asset_id == asset
    [ticketed] = await _outbox(migrated, "finding.ticketed", "finding_id", str(raised.finding_id))
    assert ticketed["data"]["ticket_number"] == ticket["number"] and ticketed["data"]["opened"] is True


async def test_the_same_finding_twice_has_one_effect_and_a_repeat_reading_adds_to_the_open_ticket(
    intake_client: httpx.AsyncClient, migrated: RunEnvironment, units: Units, ledger: Ledger, inspector: uuid.UUID
) -> None:
    unit = (await units.add())[-1]
    tag = f"UPS-{uuid.uuid4().hex[:4]}".upper()
    asset = await ledger.register(tag, unit, asset_class="ups")
    first = finding(asset, unit, inspector, tag=tag, item_key="ups_load", item_label="UPS负载", reading=92.0,
                    measure_unit="%", normal_low=None, normal_high=80)  # fmt: skip
    [envelope] = await publish(migrated.amqp_url, first)
    # The same event redelivered, and the same finding republished under another event id.
    _, republished = await publish(migrated.amqp_url, envelope, first)

    async def inbox_has(event_id: uuid.UUID) -> bool:
        return bool(await _fetch(migrated, "SELECT 1 FROM inbox_message WHERE message_id = $1", event_id))

    await eventually(lambda: inbox_has(republished.id))
    tickets = await _fetch(migrated, "SELECT ticket_id FROM finding_ticket WHERE finding_id = $1", first.finding_id)
    assert len(tickets) == 1
    ticket_id = str(tickets[0]["ticket_id"])
    assert len(await _outbox(migrated, "ticket.created", "ticket_id", ticket_id)) == 1
    assert len(await _outbox(migrated, "finding.ticketed", "finding_id", str(first.finding_id))) == 1

    # The next day's round finds the same item abnormal while the ticket is open: one line more, no new ticket.
    again = finding(asset, unit, inspector, tag=tag, item_key="ups_load", item_label="UPS负载", reading=95.0,
                    measure_unit="%", normal_low=None, normal_high=80, note=None)  # fmt: skip
    other_item = finding(asset, unit, inspector, tag=tag, item_key="alarm_lamp", item_label="告警灯", kind="check",
                         reading=False, measure_unit=None, normal_low=None, normal_high=None)  # fmt: skip
    await publish(migrated.amqp_url, again, other_item)
    assert await eventually(lambda: _ticket_of(migrated, again.finding_id)) == ticket_id
    assert await eventually(lambda: _ticket_of(migrated, other_item.finding_id)) != ticket_id
    dispatcher = auth(migrated.token("dispatcher"))
    ticket = (await intake_client.get(f"/api/tickets/{ticket_id}", headers=dispatcher)).json()
    [added] = [e for e in ticket["timeline"] if e["kind"] == "finding_added"]
    assert added["detail"]["reading"] == "95 %（正常 ≤ 80 %）" and added["actor_name"] == "张工"  # by their name
    [ticketed] = await _outbox(migrated, "finding.ticketed", "finding_id", str(again.finding_id))
    assert ticketed["data"]["opened"] is False and ticketed["data"]["ticket_id"] == ticket_id

    # Once resolved, the fix did not hold: a new abnormal reading opens a ticket of its own.
    operator = auth(migrated.token("hotline_operator"))
    resolved = await intake_client.post(
        f"/api/tickets/{ticket_id}/resolve", json={"resolution_code": "load_shed", "summary": "迁移负载"},
        headers=operator,
    )  # fmt: skip
    assert resolved.status_code == 200, resolved.text
    later = finding(asset, unit, inspector, tag=tag, item_key="ups_load", item_label="UPS负载", reading=90.0,
                    measure_unit="%", normal_low=None, normal_high=80)  # fmt: skip
    await publish(migrated.amqp_url, later)
    assert await eventually(lambda: _ticket_of(migrated, later.finding_id)) != ticket_id


async def test_the_desk_not_a_requester_confirms_an_inspection_ticket(
    intake_client: httpx.AsyncClient, migrated: RunEnvironment, units: Units, ledger: Ledger, inspector: uuid.UUID
) -> None:
    unit = (await units.add())[-1]
    tag = f"SW-{uuid.uuid4().hex[:4]}".upper()
    raised = finding(await ledger.register(tag, unit, asset_class="switch"), unit, inspector, tag=tag)
    await publish(migrated.amqp_url, raised)
    ticket_id = await eventually(lambda: _ticket_of(migrated, raised.finding_id))
    engineer = auth(migrated.token("engineer"))
    await intake_client.post(
        f"/api/tickets/{ticket_id}/resolve", json={"resolution_code": "fixed", "summary": "更换风扇"}, headers=engineer
    )
    url = f"/api/tickets/{ticket_id}/confirm"
    requester = await intake_client.post(
        url, json={"rating": 5}, headers=auth(migrated.token("requester", unit_id=unit))
    )
    assert requester.status_code == 403, requester.text
    confirmed = await intake_client.post(url, json={}, headers=auth(migrated.token("dispatcher", name="disp-wang")))
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["status"] == "closed" and confirmed.json()["rating"] is None


async def test_a_person_is_refused_an_unknown_tag_an_inspection_is_flagged(
    intake_client: httpx.AsyncClient, migrated: RunEnvironment, units: Units, ledger: Ledger
) -> None:
    unit = (await units.add())[-1]
    operator = auth(migrated.token("hotline_operator"))
    body = {
        "title": "读卡器无法识别",
        "description": "二代证读卡器无反应",
        "category": "fault",
        "priority": "P3",
        "unit_id": str(unit),
        "requester_name": "王芳",
        "requester_phone": "13900139000",
        "channel": "hotline",
        "asset_tag": "dkq-unknown-1",
    }
    refused = await intake_client.post("/api/tickets", json=body, headers=operator)
    assert refused.status_code == 422 and refused.headers["content-type"] == "application/problem+json"
    problem = refused.json()
    assert problem["field"] == "asset_tag" and problem["code"] == "ticket.asset_unknown"
    assert "DKQ-UNKNOWN-1" in problem["detail"] and "registered a moment ago" in problem["detail"]

    await ledger.register("DKQ-KNOWN-1", unit, asset_class="id_card_reader")
    known = await intake_client.post("/api/tickets", json={**body, "asset_tag": "dkq-known-1"}, headers=operator)
    assert known.status_code == 201, known.text
    assert known.json()["asset_tag"] == "DKQ-KNOWN-1" and known.json()["asset_id"]

    for channel in ("inspection", "monitoring"):
        flagged = await intake_client.post("/api/tickets", json={**body, "channel": channel}, headers=operator)
        assert flagged.status_code == 201, flagged.text
        assert flagged.json()["asset_unknown"] is True and flagged.json()["asset_id"] is None
