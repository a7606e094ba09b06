"""The audit log is a chain keyed with the gateway's audit key: an auditor can verify it (incrementally on
every view, in full on request, in the background), search it and export it; nobody can rewrite it through
the application's connection; and if someone with the database owner's rights goes around the append-only
trigger, verification names the first entry that no longer holds (the tampering drill:
test_audit_tamper_drill.py)."""

from __future__ import annotations

import asyncio
import csv
import io
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import asyncpg
import httpx

from opsdesk_shared.testing.plugin import RunEnvironment

if TYPE_CHECKING:  # pytest imports the conftest; its classes serve here as annotations only
    from tests.conftest import LoginAs


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def auditor(client: httpx.AsyncClient, admin_token: str, login_as: LoginAs) -> str:
    username = f"aud{uuid.uuid4().hex[:6]}"
    created = await client.post(
        "/api/admin/users",
        headers=bearer(admin_token),
        json={"username": username, "password": "Right-passw0rd", "display_name": "审计", "roles": ["auditor"]},
    )
    assert created.status_code == 201, created.text
    return str(await login_as(username, "Right-passw0rd"))


async def test_the_audit_chain_verifies_searches_exports_and_shows_tampering(
    client: httpx.AsyncClient, admin_token: str, login_as: LoginAs, migrated: RunEnvironment
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
        path = await conn.fetchval("SELECT path FROM audit_log WHERE chain_seq = $1", last - 1)
        await rewrite_path(conn, last - 1, "/nothing-happened")
        # The page's check starts at the last signed checkpoint, which the check above made at the head: the
        # entry before it is the full verification's to find.
        check = (await client.get("/api/admin/audit-log/verify", headers=bearer(token))).json()
        assert check["from_seq"] >= last - 1 and check["entries"] <= 2, check
        result = await full_verification(client, token)
        assert result["intact"] is False and result["first_broken_seq"] == last - 1, result
        assert "altered" in result["problem"]
        await rewrite_path(conn, last - 1, path)  # put back, for the other tests on this database
    finally:
        await conn.close()


async def rewrite_path(conn: asyncpg.Connection, seq: int, path: str) -> None:
    await conn.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update")
    await conn.execute("UPDATE audit_log SET path = $2 WHERE chain_seq = $1", seq, path)
    await conn.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update")


async def full_verification(client: httpx.AsyncClient, token: str) -> dict[str, Any]:
    """Start a full verification and follow its progress until it is done (deadline, not a sleep)."""
    started = await client.post("/api/admin/audit-log/verifications", headers=bearer(token))
    assert started.status_code == 202, started.text
    job = started.json()
    deadline = time.monotonic() + 30
    while job["state"] == "running":
        assert time.monotonic() < deadline, job
        await asyncio.sleep(0.05)
        job = (await client.get(f"/api/admin/audit-log/verifications/{job['id']}", headers=bearer(token))).json()
    assert job["state"] == "done", job
    assert job["checked"] == job["total"] == job["result"]["entries"] or not job["result"]["intact"], job
    return job["result"]


async def test_the_page_check_walks_only_what_was_written_since_the_last_checkpoint(
    client: httpx.AsyncClient, admin_token: str, login_as: LoginAs
) -> None:
    token = await auditor(client, admin_token, login_as)
    first = (await client.get("/api/admin/audit-log/verify", headers=bearer(token))).json()
    assert first["intact"] is True, first
    for _ in range(3):
        await client.post(
            "/api/admin/units",
            headers=bearer(admin_token),
            json={"code": f"IC-{uuid.uuid4().hex[:6]}", "name": "增量校验", "kind": "police_station"},
        )
    second = (await client.get("/api/admin/audit-log/verify", headers=bearer(token))).json()
    # From the checkpoint the first check left at its head: that entry, the three writes and their neighbours
    # (the check's own request is not a write), not the whole log.
    assert second["intact"] is True and second["full"] is False, second
    assert second["from_seq"] == first["head_seq"] - 1 and second["checkpoint_seq"] == first["head_seq"], second
    assert second["entries"] == second["head_seq"] - first["head_seq"] + 1 < first["head_seq"], (first, second)
    checkpoints = (await client.get("/api/admin/audit-log/checkpoints", headers=bearer(token))).json()
    assert checkpoints[-1]["seq"] == second["head_seq"] and len(checkpoints[-1]["signature"]) == 64
    # The whole chain, on request: in the background, with progress, and intact.
    result = await full_verification(client, token)
    assert result["intact"] is True and result["full"] is True and result["entries"] >= second["head_seq"], result
    assert (await client.post("/api/admin/audit-log/verifications", headers=bearer(admin_token))).status_code == 403


async def test_concurrent_writes_each_get_one_entry_chained_in_one_unbroken_sequence(
    client: httpx.AsyncClient, admin_token: str, login_as: LoginAs, migrated: RunEnvironment
) -> None:
    """The edge appends the entries of writes that arrive together in batches (audit_appender.py): each write
    still has its own entry, committed before its answer, in a chain with no gap or fork."""
    token = await auditor(client, admin_token, login_as)
    codes = [f"CC-{uuid.uuid4().hex[:6]}" for _ in range(30)]
    answers = await asyncio.gather(
        *(
            client.post(
                "/api/admin/units",
                headers=bearer(admin_token),
                json={"code": code, "name": "并发审计", "kind": "police_station"},
            )
            for code in codes
        )
    )
    assert all(a.status_code == 201 for a in answers), [a.text for a in answers if a.status_code != 201]
    conn = await asyncpg.connect(f"{migrated.servers.database_url}/{migrated.database_prefix}_gateway")
    try:
        rows = await conn.fetch(
            "SELECT chain_seq, changes::text AS changes FROM audit_log WHERE action LIKE 'admin.units%' "
            "AND changes::text LIKE ANY($1)",
            [f"%{code}%" for code in codes],
        )
        seqs = [r["chain_seq"] for r in await conn.fetch("SELECT chain_seq FROM audit_log ORDER BY chain_seq")]
    finally:
        await conn.close()
    assert sorted(code for code in codes for r in rows if code in r["changes"]) == sorted(codes)
    assert len(rows) == len(codes)
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), "the chain has a gap or a repeated place"
    result = await full_verification(client, token)
    assert result["intact"] is True and result["full"] is True, result


async def test_each_write_records_what_it_changed_before_and_after(
    client: httpx.AsyncClient, admin_token: str, login_as: LoginAs
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


async def test_the_auditor_finds_writes_by_the_objects_name_the_actor_and_the_day(
    client: httpx.AsyncClient, admin_token: str, login_as: LoginAs
) -> None:
    """Each changed row carries the name people know it by (a user name here, a ticket's number in intake),
    recorded at write time by the service that owns it: the auditor searches by it without reading tickets."""
    token = await auditor(client, admin_token, login_as)
    username = f"obj{uuid.uuid4().hex[:6]}"
    created = await client.post(
        "/api/admin/users",
        headers=bearer(admin_token),
        json={"username": username, "password": "Right-passw0rd", "display_name": "对象", "roles": ["requester"]},
    )
    user_id = created.json()["id"]
    await client.patch(f"/api/admin/users/{user_id}", headers=bearer(admin_token), json={"display_name": "对象二"})

    async def search(**params: str) -> list[dict]:
        answer = await client.get("/api/admin/audit-log", params=params, headers=bearer(token))
        assert answer.status_code == 200, answer.text
        return list(answer.json()["items"])

    found = await search(object=username)
    assert [(e["method"], e["path"]) for e in found] == [
        ("PATCH", f"/api/admin/users/{user_id}"),
        ("POST", "/api/admin/users"),
    ]
    # The update names its row although the user name did not change.
    assert [c["label"] for c in found[0]["changes"]] == [username]
    assert found[0]["actor_display_name"] and found[0]["actor_name"] == "admin"
    assert [e["path"] for e in await search(object=user_id)] == [f"/api/admin/users/{user_id}", "/api/admin/users"]
    today = datetime.now(UTC).date()
    assert len(await search(object=username, actor="admin", **{"from": f"{today}T00:00:00Z"})) == 2
    assert await search(object=username, actor="someone-else") == []
    assert await search(object=username, to=f"{today - timedelta(days=1)}T00:00:00Z") == []
