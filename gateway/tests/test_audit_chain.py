"""The audit log is a hash chain the database keeps: an auditor can verify it, search it and export it;
nobody can rewrite it through the application's connection; and if someone with the database owner's
rights goes around the append-only trigger, verification names the first entry that no longer holds."""

import csv
import io
import uuid

import asyncpg
import httpx

from opsdesk_shared.testing.plugin import RunEnvironment


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def auditor(client: httpx.AsyncClient, admin_token: str, login_as) -> str:  # type: ignore[no-untyped-def]
    username = f"aud{uuid.uuid4().hex[:6]}"
    created = await client.post(
        "/api/admin/users",
        headers=bearer(admin_token),
        json={"username": username, "password": "Right-passw0rd", "display_name": "审计", "roles": ["auditor"]},
    )
    assert created.status_code == 201, created.text
    return str(await login_as(username, "Right-passw0rd"))


async def test_the_audit_chain_verifies_searches_exports_and_shows_tampering(  # type: ignore[no-untyped-def]
    client: httpx.AsyncClient, admin_token: str, login_as, migrated: RunEnvironment
) -> None:
    token = await auditor(client, admin_token, login_as)
    for _ in range(3):  # a few more writes on the chain
        await client.post(
            "/api/admin/units",
            headers=bearer(admin_token),
            json={"code": f"AC-{uuid.uuid4().hex[:6]}", "name": "审计链测试", "kind": "police_station"},
        )
    # A write to a path with an escaped NUL is still audited (as sent, percent-encoded).
    await client.post("/api/tickets/%00/comments", headers=bearer(admin_token), json={"body": "x"})
    odd = (await client.get("/api/admin/audit-log", params={"action": "tickets"}, headers=bearer(token))).json()
    assert any(e["path"] == "/api/tickets/%00/comments" for e in odd["items"]), odd
    check = (await client.get("/api/admin/audit-log/verify", headers=bearer(token))).json()
    assert check["intact"] is True and check["entries"] >= 5, check
    assert (await client.get("/api/admin/audit-log/verify", headers=bearer(admin_token))).status_code == 403

    found = (await client.get("/api/admin/audit-log", params={"action": "admin.units"}, headers=bearer(token))).json()
    assert found["items"] and all(e["action"].startswith("admin.units") for e in found["items"])
    assert all(e["entry_hash"] and e["chain_seq"] for e in found["items"])
    export = await client.get("/api/admin/audit-log/export", params={"action": "login."}, headers=bearer(token))
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert rows and all(r["action"].startswith("login.") and len(r["entry_hash"]) == 64 for r in rows)

    conn = await asyncpg.connect(f"{migrated.servers.database_url}/{migrated.database_prefix}_gateway")
    try:
        last = await conn.fetchval("SELECT max(chain_seq) FROM audit_log")
        try:
            await conn.execute("UPDATE audit_log SET path = '/nothing-happened' WHERE chain_seq = $1", last - 1)
            raise AssertionError("the append-only trigger let an UPDATE through")
        except asyncpg.RaiseError as exc:
            assert "append-only" in str(exc)
        # Someone with the owner's rights goes around the trigger and rewrites one entry.
        await conn.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update")
        await conn.execute("UPDATE audit_log SET path = '/nothing-happened' WHERE chain_seq = $1", last - 1)
        await conn.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update")
    finally:
        await conn.close()
    check = (await client.get("/api/admin/audit-log/verify", headers=bearer(token))).json()
    assert check["intact"] is False and check["first_broken_seq"] == last - 1
    assert "altered" in check["problem"]


async def test_each_write_records_what_it_changed_before_and_after(  # type: ignore[no-untyped-def]
    client: httpx.AsyncClient, admin_token: str, login_as
) -> None:
    token = await auditor(client, admin_token, login_as)
    username = f"ba{uuid.uuid4().hex[:6]}"
    created = await client.post(
        "/api/admin/users",
        headers=bearer(admin_token),
        json={
            "username": username,
            "password": "Right-passw0rd",
            "display_name": "前后",
            "roles": ["requester"],
            "phone": "+8613800138000",
        },
    )
    assert created.status_code == 201, created.text
    assert "opsdesk-audit-changes" not in created.headers  # for the audit log, not for the client
    user_id = created.json()["id"]
    changed = await client.patch(
        f"/api/admin/users/{user_id}", headers=bearer(admin_token), json={"is_active": False, "display_name": "后"}
    )
    assert changed.status_code == 200, changed.text
    refused = await client.patch(
        f"/api/admin/users/{uuid.uuid4()}", headers=bearer(admin_token), json={"is_active": False}
    )
    assert refused.status_code == 404

    entries = (await client.get("/api/admin/audit-log", params={"action": "admin.users"}, headers=bearer(token))).json()
    by_path = {(e["method"], e["path"]): e for e in reversed(entries["items"])}  # the newest of each
    insert = by_path[("POST", "/api/admin/users")]
    rows = [c for c in insert["changes"] if c["table"] == "app_user" and c["after"]["username"] == username]
    assert len(rows) == 1 and rows[0]["op"] == "insert" and rows[0]["key"] == [user_id]
    assert rows[0]["after"]["phone"] == "+86138****8000"  # masked even for the auditor
    assert rows[0]["after"]["password_hash"] == "<redacted>"
    patched = by_path[("PATCH", f"/api/admin/users/{user_id}")]
    assert patched["actor_name"] == "admin"  # not whoever signed in last
    [update] = patched["changes"]
    assert (update["op"], update["table"], update["key"]) == ("update", "app_user", [user_id])
    # Only what changed, old and new (updated_at moves too).
    assert set(update["before"]) == set(update["after"]) == {"display_name", "is_active", "updated_at"}
    assert (update["before"]["display_name"], update["after"]["display_name"]) == ("前后", "后")
    assert (update["before"]["is_active"], update["after"]["is_active"]) == (True, False)
    # A refused write changed nothing, and says so.
    assert by_path[("PATCH", refused.request.url.path)]["changes"] is None
