"""System clients that can send a fixed credential only as `Authorization: Bearer …` (Alertmanager's
http_config.authorization, most monitoring engines): their API key works there as well as in X-API-Key."""

import uuid

from tests.conftest import Stack


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _key(stack: Stack, *scopes: str) -> tuple[str, str]:
    created = stack.client().post(
        "/api/admin/api-keys",
        headers=bearer(stack.token("secadmin")),
        json={"name": f"engine-{uuid.uuid4().hex[:6]}", "scopes": list(scopes)},
    )
    assert created.status_code == 201, created.text
    return created.json()["id"], created.json()["key"]


def _ring(stack: Stack, headers: dict[str, str]) -> int:
    call = {"event": "ringing", "call_id": f"pbx-{uuid.uuid4().hex[:8]}", "caller": "13800138003", "agent": "operator"}
    return stack.client().post("/api/cti/events", headers=headers, json=call).status_code


def test_an_api_key_sent_as_the_bearer_credential_acts_with_its_scopes(stack: Stack) -> None:
    key_id, key = _key(stack, "cti:events")
    assert _ring(stack, bearer(key)) == 202
    assert _ring(stack, {"X-API-Key": key}) == 202  # the header it always had still works

    _, other = _key(stack, "monitoring:write")
    assert _ring(stack, bearer(other)) == 403  # a key acts with its own scopes only

    revoked = stack.client().delete(f"/api/admin/api-keys/{key_id}", headers=bearer(stack.token("secadmin")))
    assert revoked.status_code in (200, 204)
    answer = stack.client().post("/api/cti/events", headers=bearer(key), json={})
    assert answer.status_code == 401 and answer.json()["code"] == "auth.api_key_invalid"


def test_monitoring_write_is_a_scope_a_key_can_have_and_unknown_scopes_are_refused(stack: Stack) -> None:
    _key(stack, "monitoring:write")
    refused = stack.client().post(
        "/api/admin/api-keys",
        headers=bearer(stack.token("secadmin")),
        json={"name": "engine", "scopes": ["monitoring:admin"]},
    )
    assert refused.status_code == 422 and "scopes" in refused.text
