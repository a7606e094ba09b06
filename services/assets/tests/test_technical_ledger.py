"""The technical ledger: configuration facts as a history of who changed what, when and why."""

import asyncpg
import pytest

from opsdesk_shared.testing.workers import EventTap, eventually

from .conftest import Ledger


async def test_each_change_is_a_new_entry_and_the_newest_is_current(ledger: Ledger) -> None:
    [unit] = await ledger.unit()
    asset = await ledger.register(unit, asset_class="switch")
    url = f"/api/assets/{asset['id']}/technical"
    engineer = ledger.as_("engineer", name="engineer-liu")

    first = await ledger.client.post(
        url, json={"facts": {"ip_address": "10.1.2.3", "firmware": "V5.2"}, "reason": "入网配置"}, headers=engineer
    )
    assert first.status_code == 200, first.text
    assert first.json()["recorded"] == 2
    second = await ledger.client.post(
        url,
        json={
            "facts": {"firmware": "V5.3", "ip_address": "10.1.2.3", "config_note": "开启端口镜像"},
            "reason": "巡检升级",
        },
        headers=engineer,
    )
    assert second.json()["recorded"] == 2  # the address did not change: no entry for it
    removed = await ledger.client.post(
        url, json={"facts": {"config_note": None}, "reason": "撤销镜像"}, headers=engineer
    )
    ledger_now = removed.json()
    assert {f: e["value"] for f, e in ledger_now["current"].items()} == {"ip_address": "10.1.2.3", "firmware": "V5.3"}
    firmware = [(e["value"], e["reason"]) for e in ledger_now["history"] if e["fact"] == "firmware"]
    assert firmware == [("V5.3", "巡检升级"), ("V5.2", "入网配置")]  # newest first, nothing overwritten
    assert all(e["recorded_by_name"] == "engineer-liu" and e["recorded_at"] for e in ledger_now["history"])
    assert len(ledger_now["history"]) == 5

    read = await ledger.client.get(url, headers=ledger.as_("supervisor"))
    assert read.status_code == 200 and read.json()["history"] == ledger_now["history"]


async def test_who_may_read_and_write_the_technical_ledger(ledger: Ledger) -> None:
    [unit] = await ledger.unit()
    asset = await ledger.register(unit)
    url = f"/api/assets/{asset['id']}/technical"
    body = {"facts": {"os_version": "麒麟 V10"}, "reason": "升级"}
    for role in ("engineer", "dispatcher", "admin"):
        assert (await ledger.client.post(url, json=body, headers=ledger.as_(role))).status_code == 200, role
    for role in ("supervisor", "requester", "hotline_operator", "auditor"):
        assert (await ledger.client.post(url, json=body, headers=ledger.as_(role, unit_id=unit))).status_code == 403
    assert (await ledger.client.get(url, headers=ledger.as_("requester", unit_id=unit))).status_code == 403
    bad = await ledger.client.post(url, json={"facts": {"IP Address!": "x"}, "reason": "r"}, headers=ledger.admin)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"].startswith("facts")
    no_reason = await ledger.client.post(url, json={"facts": {"a": "b"}}, headers=ledger.admin)
    assert no_reason.status_code == 422 and no_reason.json()["errors"][0]["field"] == "reason"


async def test_the_database_refuses_to_rewrite_the_history(ledger: Ledger) -> None:
    [unit] = await ledger.unit()
    asset = await ledger.register(unit)
    await ledger.client.post(
        f"/api/assets/{asset['id']}/technical",
        json={"facts": {"ip_address": "10.0.0.9"}, "reason": "r"},
        headers=ledger.admin,
    )
    conn = await asyncpg.connect(f"{ledger.env.servers.database_url}/{ledger.env.database_prefix}_assets")
    try:
        for statement in ("UPDATE technical_entry SET value = 'x'", "DELETE FROM asset_status_change"):
            with pytest.raises(asyncpg.RestrictViolationError):
                await conn.execute(statement)
    finally:
        await conn.close()


async def test_a_recording_that_changed_facts_is_announced_naming_them(ledger: Ledger) -> None:
    [unit] = await ledger.unit()
    asset = await ledger.register(unit, asset_class="server")
    url = f"/api/assets/{asset['id']}/technical"
    body = {"facts": {"firmware": "V2.1", "ip_address": "10.9.8.7"}, "reason": "巡检核对"}
    async with EventTap(ledger.env.amqp_url, "asset.updated") as tap:
        assert (await ledger.client.post(url, json=body, headers=ledger.admin)).json()["recorded"] == 2
        # Nothing changed: nothing to announce (the next recording's event comes after where its would be).
        assert (await ledger.client.post(url, json=body, headers=ledger.admin)).json()["recorded"] == 0
        upgrade = {"facts": {"firmware": "V2.2"}, "reason": "升级"}
        assert (await ledger.client.post(url, json=upgrade, headers=ledger.admin)).json()["recorded"] == 1
        await eventually(lambda: len(tap.of("asset.updated", asset_id=asset["id"])) >= 2)
    announced = tap.of("asset.updated", asset_id=asset["id"])
    assert sorted(e.data["technical"] for e in announced) == [["firmware"], ["firmware", "ip_address"]]
    # The asset itself is as it was: no field changed, its version the same.
    assert all(e.data["changed"] == [] and e.data["aggregate_version"] == asset["version"] for e in announced)
