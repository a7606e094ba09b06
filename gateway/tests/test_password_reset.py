"""A forgotten password: an administrator issues a one-time password, shown once; the account must choose a
new one at its next sign-in; its open sessions end; the reset is audited (without the password). Who may reset
whom is the separation of duties' rule: a privileged account's password only by a security administrator."""

import uuid

import httpx

from .test_separation_of_duties import Desk, desk  # noqa: F401  (the module-scoped gateway with its own bootstrap)

PASSWORD = "Right-passw0rd"


async def _reset(desk: Desk, headers: dict[str, str], user_id: str) -> httpx.Response:
    return await desk.client.post(f"/api/admin/users/{user_id}/password-reset", headers=headers)


async def _username(desk: Desk, user_id: str) -> str:
    return str((await desk.client.get(f"/api/admin/users/{user_id}", headers=desk.bootstrap)).json()["username"])


async def test_a_reset_gives_a_one_time_password_that_must_be_changed_at_the_next_sign_in(desk: Desk) -> None:
    user_id, _ = await desk.make(["dispatcher"])
    username = await _username(desk, user_id)
    old_session = await desk.client.post("/api/auth/login", json={"username": username, "password": PASSWORD})
    _, secadmin = await desk.make(["security_admin"])

    reset = await _reset(desk, secadmin, user_id)
    assert reset.status_code == 200, reset.text
    temporary = reset.json()["temporary_password"]
    assert len(temporary) >= 12 and temporary != PASSWORD

    # The old password and the sessions opened with it are gone.
    assert (
        await desk.client.post("/api/auth/login", json={"username": username, "password": PASSWORD})
    ).status_code == 401
    stale = await desk.client.post("/api/auth/refresh", json={"refresh_token": old_session.json()["refresh_token"]})
    assert stale.status_code == 401
    # The one-time password signs in only to change it.
    first = await desk.client.post("/api/auth/login", json={"username": username, "password": temporary})
    assert first.status_code == 200
    assert first.json()["must_change_password"] is True and first.json()["password_change_reason"] == "reset"
    restricted = {"Authorization": f"Bearer {first.json()['access_token']}"}
    refused = await desk.client.get("/api/admin/units", headers=restricted)
    assert refused.status_code == 403 and refused.json()["rule"] == "password-change-required"
    changed = await desk.client.post(
        "/api/auth/password",
        headers=restricted,
        json={"current_password": temporary, "new_password": "Fresh-s3cret-after-reset"},
    )
    assert changed.status_code == 200 and changed.json()["must_change_password"] is False
    # One time only: the temporary password no longer opens the account.
    again = await desk.client.post("/api/auth/login", json={"username": username, "password": temporary})
    assert again.status_code == 401

    # Audited, under the actor's name, and the password is nowhere in the entry.
    _, auditor = await desk.make(["auditor"])
    log = await desk.client.get("/api/admin/audit-log", headers=auditor, params={"action": "admin.users.password"})
    entries = [e for e in log.json()["items"] if user_id in e["path"]]
    assert len(entries) == 1 and entries[0]["action"] == "admin.users.password-reset.post.ok", entries
    assert temporary not in str(entries[0])


async def test_only_a_security_admin_resets_a_privileged_account_and_nobody_their_own(desk: Desk) -> None:
    admin_id, admin = await desk.make(["admin"])
    secadmin_id, secadmin = await desk.make(["security_admin"])
    for victim_roles in (["auditor"], ["security_admin"], ["admin"]):
        victim_id, _ = await desk.make(victim_roles)
        refused = await _reset(desk, admin, victim_id)
        assert refused.status_code == 403 and refused.json()["rule"] == "privileged-account", refused.text
        assert (await _reset(desk, secadmin, victim_id)).status_code == 200
    ordinary_id, _ = await desk.make(["hotline_operator"])
    assert (await _reset(desk, admin, ordinary_id)).status_code == 200
    for me, headers in ((admin_id, admin), (secadmin_id, secadmin)):
        own = await _reset(desk, headers, me)
        assert own.status_code == 403 and own.json()["rule"] == "own-password", own.text
    _, dispatcher = await desk.make(["dispatcher"])
    assert (await _reset(desk, dispatcher, ordinary_id)).status_code == 403
    assert (await _reset(desk, secadmin, str(uuid.uuid4()))).status_code == 404
