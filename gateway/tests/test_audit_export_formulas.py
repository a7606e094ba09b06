"""The audit log's CSV export opens in a spreadsheet: what a caller sent (here the `X-Request-ID` of a
refused write, kept as the entry's request id) must not come out as a live formula."""

from __future__ import annotations

import csv
import io
import uuid
from typing import TYPE_CHECKING

import httpx
import pytest

if TYPE_CHECKING:  # pytest imports the conftest; its classes serve here as annotations only
    from tests.conftest import LoginAs

HOSTILE = ['=HYPERLINK("http://x","y")', "+1", "-2", "@SUM(A1)"]


@pytest.mark.parametrize("request_id", HOSTILE)
async def test_the_audit_export_neutralises_formulas_a_caller_planted(
    client: httpx.AsyncClient, admin_token: str, login_as: LoginAs, request_id: str
) -> None:
    auditor_name = f"aud{uuid.uuid4().hex[:6]}"
    created = await client.post(
        "/api/admin/users",
        headers={"Authorization": f"Bearer {admin_token}"},
        json={"username": auditor_name, "password": "Right-passw0rd", "display_name": "审计", "roles": ["auditor"]},
    )
    assert created.status_code == 201, created.text
    token = await login_as(auditor_name, "Right-passw0rd")
    # Any signed-in user's write is audited, refused or not, with a request id of their own choosing.
    # (Unauthenticated failures are counted per address instead, without their request ids: failure_audit.py.)
    refused = await client.post(
        "/api/admin/units",
        json={"code": "", "name": "", "kind": "nowhere"},
        headers={"Authorization": f"Bearer {admin_token}", "X-Request-ID": request_id},
    )
    assert refused.status_code == 422

    export = await client.get(
        "/api/admin/audit-log/export", params={"action": "admin."}, headers={"Authorization": f"Bearer {token}"}
    )
    assert export.status_code == 200
    rows = list(csv.DictReader(io.StringIO(export.content.decode("utf-8-sig"), newline="")))
    planted = [r for r in rows if r["request_id"].lstrip("'") == request_id]
    assert planted, "the refused write is in the export"
    assert all(r["request_id"] == "'" + request_id for r in planted)
    assert all(r["chain_seq"].isdigit() and len(r["entry_hash"]) == 64 for r in rows)  # the rest is as it was
