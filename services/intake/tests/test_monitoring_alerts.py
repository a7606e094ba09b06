"""Monitoring alerts become tickets (issue 17): intake follows the receiver's decision per alert — a ticket on
the channel `monitoring` with nobody to text, a line when it fires again while open, a reopen when it flaps
back within the rule's window, one ticket for a storm, a "recovered" line and, where the rule says so and
nobody is working on it, the ticket resolved as recovered by itself. Each alert event has one effect."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import asyncpg
import httpx

from opsdesk_shared.contracts.envelope import Envelope
from opsdesk_shared.contracts.intake import TicketCreated
from opsdesk_shared.contracts.monitoring import AlertFiring, AlertResolved
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


def firing(fingerprint: str, starts: datetime, **overrides: Any) -> AlertFiring:
    fields: dict[str, Any] = {
        "alert_id": uuid.uuid4(),
        "source": "alertmanager",
        "fingerprint": fingerprint,
        "alertname": "DeviceDown",
        "starts_at": starts,
        "summary": "接入交换机离线",
        "description": "ping 不通",
        "generator_url": "http://prometheus:9090/graph",
        "severity": "critical",
        "priority": "P1",
        "opens_ticket": True,
        "auto_resolve": True,
        "reopen_window_s": 3600,
        "availability": True,
        "labels": {"alertname": "DeviceDown", "instance": "10.1.2.3"},
        **overrides,
    }
    return AlertFiring.model_validate(fields)


def resolved(alert: AlertFiring, minutes: int = 5) -> AlertResolved:
    keep = {k: v for k, v in alert.model_dump().items() if k in AlertResolved.model_fields}
    return AlertResolved.model_validate({**keep, "ends_at": alert.starts_at + timedelta(minutes=minutes)})


async def ticket_of(env: RunEnvironment, fingerprint: str) -> str | None:
    rows = await _fetch(env, "SELECT ticket_id FROM alert_ticket WHERE fingerprint = $1", fingerprint)
    return str(rows[0]["ticket_id"]) if rows else None


async def read(client: httpx.AsyncClient, env: RunEnvironment, ticket_id: str) -> dict[str, Any]:
    answer = await client.get(f"/api/tickets/{ticket_id}", headers=auth(env.token("dispatcher")))
    return dict(answer.json())


async def settled(env: RunEnvironment, *envelopes: Any) -> None:
    """Until intake's inbox has every one of these events."""

    async def seen() -> bool:
        ids = [e.id for e in envelopes]
        rows = await _fetch(env, "SELECT count(*) AS n FROM inbox_message WHERE message_id = ANY($1)", ids)
        return bool(rows[0]["n"] == len(ids))

    await eventually(seen)


async def test_an_alert_opens_a_monitoring_ticket_fires_again_on_it_and_recovers_it_once(
    intake_client: httpx.AsyncClient, migrated: RunEnvironment, units: Units, ledger: Ledger
) -> None:
    unit = (await units.add())[-1]
    tag = f"SW-{uuid.uuid4().hex[:5]}".upper()
    asset = await ledger.register(tag, unit, asset_class="switch")
    start = datetime.now(UTC) - timedelta(minutes=30)
    fp = uuid.uuid4().hex
    alert = firing(fp, start, asset_tag=tag, asset_id=asset, asset_known=True, unit_id=unit, unit_known=True)
    [envelope] = await publish(migrated.amqp_url, alert)
    # Redelivered, and republished under another id: one ticket.
    _, again = await publish(migrated.amqp_url, envelope, alert)
    await settled(migrated, envelope, again)
    ticket_id = await eventually(lambda: ticket_of(migrated, fp))
    ticket = await read(intake_client, migrated, ticket_id)
    assert (ticket["channel"], ticket["status"], ticket["priority"], ticket["title"]) == (
        "monitoring",
        "new",
        "P1",
        "接入交换机离线",
    )
    assert (ticket["asset_tag"], ticket["asset_id"], ticket["asset_unknown"], ticket["unit_id"]) == (
        tag,
        str(asset),
        False,
        str(unit),
    )
    assert "http://prometheus:9090/graph" in ticket["description"]
    created = await _fetch(
        migrated, "SELECT envelope FROM outbox_message WHERE envelope->>'type' = 'ticket.created' "
        "AND envelope->'data'->>'ticket_id' = $1", ticket_id,
    )  # fmt: skip
    [announced] = [Envelope.model_validate(json.loads(r["envelope"])).parse(TicketCreated) for r in created]
    assert announced.requester_phone == "" and announced.channel == "monitoring"  # nobody to text

    # A new episode while the ticket is open: a line, no second ticket.
    later = firing(fp, start + timedelta(minutes=10), asset_tag=tag, asset_id=asset, asset_known=True, unit_id=unit,
                   unit_known=True)  # fmt: skip
    first_recovery = resolved(alert)  # the older episode's recovery, late: nothing
    envelopes = await publish(migrated.amqp_url, later, first_recovery)
    await settled(migrated, *envelopes)
    kinds = [e["kind"] for e in (await read(intake_client, migrated, ticket_id))["timeline"]]
    assert kinds.count("alert_fired_again") == 1 and "alert_recovered" not in kinds

    recovery = resolved(later)
    envelopes = await publish(migrated.amqp_url, recovery, recovery)
    await settled(migrated, *envelopes)
    ticket = await read(intake_client, migrated, ticket_id)
    assert ticket["status"] == "resolved" and ticket["resolution_code"] == "recovered_by_itself"
    assert [e["kind"] for e in ticket["timeline"]].count("alert_recovered") == 1
    assert len(await _fetch(migrated, "SELECT 1 FROM alert_ticket WHERE ticket_id = $1", uuid.UUID(ticket_id))) == 1


async def test_flapping_reopens_its_ticket_within_the_window_and_opens_a_new_one_after(
    intake_client: httpx.AsyncClient, migrated: RunEnvironment, units: Units
) -> None:
    unit = (await units.add())[-1]
    start = datetime.now(UTC) - timedelta(hours=3)
    fp = uuid.uuid4().hex
    common = {"unit_id": unit, "unit_known": True, "reopen_window_s": 1800, "asset_tag": None, "availability": False}
    first = firing(fp, start, **common)
    envelopes = await publish(migrated.amqp_url, first, resolved(first, minutes=2))
    await settled(migrated, *envelopes)
    ticket_id = await eventually(lambda: ticket_of(migrated, fp))
    assert (await read(intake_client, migrated, ticket_id))["status"] == "resolved"

    # Resolved just now (when the recovery arrived): firing again within the window reopens it.
    flap = firing(fp, datetime.now(UTC) + timedelta(minutes=1), **common)
    await settled(migrated, *await publish(migrated.amqp_url, flap))
    assert (await read(intake_client, migrated, ticket_id))["status"] == "reopened"
    assert await ticket_of(migrated, fp) == ticket_id

    envelopes = await publish(migrated.amqp_url, resolved(flap, minutes=1))
    await settled(migrated, *envelopes)
    assert (await read(intake_client, migrated, ticket_id))["status"] == "resolved"
    much_later = firing(fp, datetime.now(UTC) + timedelta(hours=2), **common)
    await settled(migrated, *await publish(migrated.amqp_url, much_later))
    new_ticket = await ticket_of(migrated, fp)
    assert new_ticket is not None and new_ticket != ticket_id


async def test_a_storm_is_one_ticket_resolved_only_when_every_alert_has_recovered(
    intake_client: httpx.AsyncClient, migrated: RunEnvironment, units: Units
) -> None:
    unit = (await units.add())[-1]
    start = datetime.now(UTC) - timedelta(minutes=20)
    lead, member = uuid.uuid4().hex, uuid.uuid4().hex
    common = {"unit_id": unit, "unit_known": True}
    leading = firing(lead, start, summary="核心交换机离线", **common)
    joining = firing(member, start, summary="接入交换机离线", group_lead=lead, **common)
    await settled(migrated, *await publish(migrated.amqp_url, leading, joining))
    ticket_id = await ticket_of(migrated, lead)
    assert ticket_id is not None and await ticket_of(migrated, member) == ticket_id
    joined = [e for e in (await read(intake_client, migrated, ticket_id))["timeline"] if e["kind"] == "alert_joined"]
    assert [j["detail"]["summary"] for j in joined] == ["接入交换机离线"]

    await settled(migrated, *await publish(migrated.amqp_url, resolved(leading)))
    assert (await read(intake_client, migrated, ticket_id))["status"] == "new"  # the other is still down
    await settled(migrated, *await publish(migrated.amqp_url, resolved(joining)))
    assert (await read(intake_client, migrated, ticket_id))["status"] == "resolved"


async def test_unknown_assets_and_units_are_flagged_work_in_hand_is_left_and_unticketed_alerts_ignored(
    intake_client: httpx.AsyncClient, migrated: RunEnvironment, units: Units
) -> None:
    await units.add()  # at least one root
    start = datetime.now(UTC) - timedelta(minutes=20)
    stranger = firing(uuid.uuid4().hex, start, asset_tag="JZZ-NOT-IN-LEDGER", unit_id=None, unit_known=False)
    quiet = firing(uuid.uuid4().hex, start, opens_ticket=False, in_maintenance=True)
    await settled(migrated, *await publish(migrated.amqp_url, stranger, quiet))
    assert await ticket_of(migrated, quiet.fingerprint) is None
    ticket_id = await ticket_of(migrated, stranger.fingerprint)
    assert ticket_id is not None
    ticket = await read(intake_client, migrated, ticket_id)
    assert (ticket["asset_tag"], ticket["asset_unknown"], ticket["asset_id"]) == ("JZZ-NOT-IN-LEDGER", True, None)
    roots = await _fetch(migrated, "SELECT id FROM known_unit WHERE parent_id IS NULL")
    assert uuid.UUID(ticket["unit_id"]) in {r["id"] for r in roots}
    assert ticket["timeline"][0]["detail"]["unit_unknown"] is True

    # The desk puts it on hold: the recovery is noted, the ticket left as it is.
    pended = await intake_client.post(
        f"/api/tickets/{ticket_id}/pending",
        json={"reason": "等待厂商"},
        headers=auth(migrated.token("dispatcher")),
    )
    assert pended.status_code == 200, pended.text
    await settled(migrated, *await publish(migrated.amqp_url, resolved(stranger)))
    ticket = await read(intake_client, migrated, ticket_id)
    assert ticket["status"] == "pending" and ticket["timeline"][-1]["kind"] == "alert_recovered"
