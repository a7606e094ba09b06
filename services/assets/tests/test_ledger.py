"""The equipment ledger through its HTTP API: registering, changing, finding, and who may do what."""

import uuid

from opsdesk_shared.testing.workers import EventTap, eventually

from .conftest import Ledger


async def test_registered_asset_is_found_by_id_tag_and_chinese_substring(ledger: Ledger) -> None:
    [unit] = await ledger.unit()
    tag = f"JZZ-CY-{uuid.uuid4().hex[:4].upper()}"
    asset = await ledger.register(
        unit, tag=tag.lower(), name="望京派出所二号制证机", maker="华视电子", serial_number="HS2024-0042"
    )
    assert asset["tag"] == tag  # kept upper case
    assert asset["status"] == "in_service" and asset["criticality"] == "normal"
    assert asset["status_history"][0]["to_status"] == "in_service"

    by_id = await ledger.client.get(f"/api/assets/{asset['id']}", headers=ledger.admin)
    assert by_id.json()["tag"] == tag and by_id.json()["unit_code"].startswith("U-")
    by_tag = await ledger.client.get(f"/api/assets/by-tag/{tag.lower()}", headers=ledger.as_("engineer"))
    assert by_tag.status_code == 200 and by_tag.json()["id"] == asset["id"]

    for q in ("二号制证", "华视", "hs2024-00"):
        found = await ledger.client.get("/api/assets", params={"q": q}, headers=ledger.as_("supervisor"))
        assert found.status_code == 200, found.text
        assert asset["id"] in [a["id"] for a in found.json()["items"]], q


async def test_list_filters_by_any_field(ledger: Ledger) -> None:
    [unit] = await ledger.unit()
    ups = await ledger.register(
        unit, asset_class="ups", security_zone="机房设备区", criticality="critical", rack="A-03"
    )
    pc = await ledger.register(unit, asset_class="terminal_pc", owning_system="办公系统", warranty_until="2025-01-01")

    async def ids(**params: str) -> set[str]:
        resp = await ledger.client.get("/api/assets", params={"unit_id": str(unit), **params}, headers=ledger.admin)
        assert resp.status_code == 200, resp.text
        return {a["id"] for a in resp.json()["items"]}

    assert await ids() == {ups["id"], pc["id"]}
    assert await ids(asset_class="ups") == {ups["id"]}
    assert await ids(criticality="critical") == {ups["id"]}
    assert await ids(security_zone="设备区") == {ups["id"]}
    assert await ids(owning_system="办公") == {pc["id"]}
    assert await ids(rack="A-03") == {ups["id"]}
    assert await ids(warranty_until_before="2026-01-01") == {pc["id"]}
    assert await ids(status="retired") == set()
    page = await ledger.client.get(
        "/api/assets", params={"unit_id": str(unit), "limit": 1, "page": 2}, headers=ledger.admin
    )
    assert page.json()["total"] == 2 and len(page.json()["items"]) == 1


async def test_unknown_class_and_duplicate_tag_are_problems_naming_the_field(ledger: Ledger) -> None:
    [unit] = await ledger.unit()
    asset = await ledger.register(unit)
    bad_class = await ledger.client.post(
        "/api/assets",
        json={
            "tag": "JZZ-X-1",
            "asset_class": "toaster",
            "security_zone": "z",
            "owning_system": "s",
            "unit_id": str(unit),
            "site": "s",
        },
        headers=ledger.admin,
    )
    assert bad_class.status_code == 422
    assert bad_class.headers["content-type"].startswith("application/problem+json")
    assert bad_class.json()["errors"][0]["field"] == "asset_class"

    duplicate = await ledger.client.post(
        "/api/assets",
        json={
            "tag": asset["tag"],
            "asset_class": "server",
            "security_zone": "z",
            "owning_system": "s",
            "unit_id": str(unit),
            "site": "s",
        },
        headers=ledger.admin,
    )
    assert duplicate.status_code == 409 and duplicate.json()["field"] == "tag"

    unknown_unit = await ledger.client.post(
        "/api/assets",
        json={
            "tag": "JZZ-X-2",
            "asset_class": "server",
            "security_zone": "z",
            "owning_system": "s",
            "unit_id": str(uuid.uuid4()),
            "site": "s",
        },
        headers=ledger.admin,
    )
    assert unknown_unit.status_code == 422 and unknown_unit.json()["field"] == "unit_id"


async def test_update_and_status_changes_keep_a_history(ledger: Ledger) -> None:
    [unit] = await ledger.unit()
    asset = await ledger.register(unit)
    patched = await ledger.client.patch(
        f"/api/assets/{asset['id']}", json={"rack": "B-01", "custodian": "王工"}, headers=ledger.as_("dispatcher")
    )
    assert patched.status_code == 200 and patched.json()["rack"] == "B-01" and patched.json()["version"] == 2
    assert patched.headers.get("opsdesk-audit-changes"), "the write is handed to the gateway's audit log"

    emptied = await ledger.client.patch(f"/api/assets/{asset['id']}", json={"site": None}, headers=ledger.admin)
    assert emptied.status_code == 422 and emptied.json()["field"] == "site"

    no_approval = await ledger.client.post(
        f"/api/assets/{asset['id']}/status", json={"status": "off_site"}, headers=ledger.admin
    )
    assert no_approval.status_code == 422 and no_approval.json()["field"] == "approval_ref"
    for body in (
        {"status": "faulty", "reason": "卡纸"},
        {"status": "off_site", "reason": "返厂维修", "approval_ref": "WC-2026-017"},
        {"status": "in_service"},
    ):
        resp = await ledger.client.post(f"/api/assets/{asset['id']}/status", json=body, headers=ledger.admin)
        assert resp.status_code == 200, resp.text
    history = resp.json()["status_history"]
    assert [h["to_status"] for h in history] == ["in_service", "faulty", "off_site", "in_service"]
    assert history[2]["approval_ref"] == "WC-2026-017" and history[1]["reason"] == "卡纸"


async def test_who_may_read_and_write_the_ledger(ledger: Ledger) -> None:
    district = await ledger.unit()
    station = await ledger.unit(district)
    elsewhere = await ledger.unit()
    mine = await ledger.register(station[-1])
    theirs = await ledger.register(elsewhere[-1])
    body = {
        "tag": "JZZ-NO-1",
        "asset_class": "server",
        "security_zone": "z",
        "owning_system": "s",
        "unit_id": str(station[-1]),
        "site": "s",
    }

    for role in ("engineer", "supervisor", "hotline_operator", "requester"):
        headers = ledger.as_(role, unit_id=district[-1])
        assert (await ledger.client.post("/api/assets", json=body, headers=headers)).status_code == 403, role
        patch = await ledger.client.patch(f"/api/assets/{mine['id']}", json={"rack": "X"}, headers=headers)
        assert patch.status_code == 403, role
    for role in ("auditor", "security_admin"):
        assert (await ledger.client.get("/api/assets", headers=ledger.as_(role))).status_code == 403
    assert (await ledger.client.get("/api/assets")).status_code == 401

    # A requester of the district sees its stations' assets, not another district's.
    requester = ledger.as_("requester", unit_id=district[-1])
    listed = await ledger.client.get("/api/assets", headers=requester)
    assert [a["id"] for a in listed.json()["items"]] == [mine["id"]]
    assert (await ledger.client.get(f"/api/assets/{theirs['id']}", headers=requester)).status_code == 404
    assert (await ledger.client.get(f"/api/assets/{mine['id']}", headers=requester)).status_code == 200
    # Supervisors read everything.
    supervisor = await ledger.client.get(f"/api/assets/{theirs['id']}", headers=ledger.as_("supervisor"))
    assert supervisor.status_code == 200


async def test_registration_change_and_status_are_announced_as_events(ledger: Ledger) -> None:
    [unit] = await ledger.unit()
    async with EventTap(ledger.env.amqp_url, "asset.*") as tap:
        asset = await ledger.register(unit)
        await ledger.client.patch(f"/api/assets/{asset['id']}", json={"model": "CP-500"}, headers=ledger.admin)
        await ledger.client.post(
            f"/api/assets/{asset['id']}/status", json={"status": "under_repair"}, headers=ledger.admin
        )
        await eventually(lambda: tap.of("asset.status_changed", asset_id=asset["id"]))
    [registered] = tap.of("asset.registered", asset_id=asset["id"])
    assert registered.data["tag"] == asset["tag"] and registered.data["aggregate_version"] == 1
    [updated] = tap.of("asset.updated", asset_id=asset["id"])
    assert updated.data["changed"] == ["model"] and updated.data["aggregate_version"] == 2
    [changed] = tap.of("asset.status_changed", asset_id=asset["id"])
    assert (changed.data["from_status"], changed.data["to_status"]) == ("in_service", "under_repair")
    assert changed.data["aggregate_version"] == 3 and registered.producer == "assets"


async def test_a_registration_retried_with_its_idempotency_key_gets_the_same_asset(ledger: Ledger) -> None:
    [unit] = await ledger.unit()
    body = {"tag": f"JZZ-I-{uuid.uuid4().hex[:5]}", "asset_class": "ups", "security_zone": "机房设施",
            "owning_system": "机房基础环境", "unit_id": str(unit), "site": "市局机房"}  # fmt: skip
    headers = {**ledger.admin, "Idempotency-Key": f"k-{uuid.uuid4()}"}
    first = await ledger.client.post("/api/assets", json=body, headers=headers)
    again = await ledger.client.post("/api/assets", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"] and again.headers["idempotent-replayed"] == "true"
    other = await ledger.client.post("/api/assets", json={**body, "site": "别处"}, headers=headers)
    assert other.status_code == 422 and other.json()["field"] == "Idempotency-Key"
    without = await ledger.client.post("/api/assets", json=body, headers=ledger.admin)
    assert without.status_code == 409 and without.json()["field"] == "tag"
