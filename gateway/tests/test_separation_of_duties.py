"""Separation of duties (三权分立): the pure rule for every pair of roles and every kind of actor and
account, then the same rules through the gateway's HTTP API on a gateway with a bootstrap account of its own."""

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from itertools import combinations

import httpx
import pytest

from gateway.admin.duties import Account, check_account_change
from gateway.config import GatewaySettings
from opsdesk_shared.auth import Principal, Role
from opsdesk_shared.errors import DomainError
from opsdesk_shared.testing.plugin import RunEnvironment

from .conftest import NO_SERVICES, running_gateway

# Written out, not derived from the code under test: the pairs one person may never hold.
EXCLUSIVE = {
    frozenset({"auditor", "admin"}),
    frozenset({"auditor", "security_admin"}),
    frozenset({"admin", "security_admin"}),
    # The vendor's project manager is checked by the bureau's supervisor and audited by the auditor.
    frozenset({"project_manager", "supervisor"}),
    frozenset({"project_manager", "auditor"}),
}
ALL_PAIRS = list(combinations(sorted(Role), 2))


def principal(*roles: str) -> Principal:
    return Principal(subject=uuid.uuid4(), username="actor", roles=frozenset(roles), unit_id=None)


def outcome(actor: Principal, target: Account | None, roles: set[str] | None) -> str:
    """'ok', or the rule the change breaks."""
    try:
        check_account_change(actor, target, roles)
    except DomainError as exc:
        return str(exc.extensions["rule"])
    return "ok"


@pytest.mark.parametrize(("first", "second"), ALL_PAIRS, ids=[f"{a}+{b}" for a, b in ALL_PAIRS])
def test_every_pair_of_roles_on_one_new_account(first: str, second: str) -> None:
    expected = "separation-of-duties" if {first, second} in EXCLUSIVE else "ok"
    assert outcome(principal("security_admin"), None, {first, second}) == expected


@pytest.mark.parametrize(("first", "second"), ALL_PAIRS, ids=[f"{a}+{b}" for a, b in ALL_PAIRS])
def test_every_pair_of_roles_given_to_an_existing_account(first: str, second: str) -> None:
    target = Account(id=uuid.uuid4(), roles=frozenset({first}))
    expected = "separation-of-duties" if {first, second} in EXCLUSIVE else "ok"
    assert outcome(principal("security_admin"), target, {first, second}) == expected


BOOTSTRAP = frozenset({"admin", "security_admin"})
ACTORS = {
    "security_admin": ("security_admin",),
    "admin": ("admin",),
    "bootstrap": ("admin", "security_admin"),
}
# (actor, the account changed: its roles, or "self"/"bootstrap", new roles or None for a detail, outcome)
CASES: list[tuple[str, str, set[str] | None, str]] = [
    # Nobody changes their own roles, whatever they hold.
    ("security_admin", "self", {"security_admin", "auditor"}, "own-roles"),
    ("security_admin", "self", {"security_admin", "admin"}, "own-roles"),
    ("security_admin", "self", set(), "own-roles"),
    ("admin", "self", {"admin", "supervisor"}, "own-roles"),
    ("bootstrap", "self", {"admin", "security_admin", "auditor"}, "own-roles"),
    ("bootstrap", "self", {"admin"}, "own-roles"),
    # One's own details are not roles.
    ("admin", "self", None, "privileged-account"),
    ("security_admin", "self", None, "ok"),
    # Only a security administrator changes a privileged account, in any way.
    ("admin", "auditor", None, "privileged-account"),
    ("admin", "security_admin", None, "privileged-account"),
    ("admin", "admin", None, "privileged-account"),
    ("admin", "bootstrap", None, "privileged-account"),
    ("admin", "dispatcher", {"auditor"}, "privileged-account"),
    ("admin", "auditor", {"requester"}, "privileged-account"),
    ("admin", "dispatcher", None, "ok"),
    ("admin", "dispatcher", {"dispatcher", "engineer"}, "ok"),
    ("security_admin", "auditor", None, "ok"),
    ("security_admin", "admin", None, "ok"),
    ("security_admin", "security_admin", None, "ok"),
    ("security_admin", "dispatcher", {"auditor"}, "ok"),
    ("bootstrap", "auditor", None, "ok"),
    # Two administrators' roles never on one account.
    ("security_admin", "admin", {"admin", "auditor"}, "separation-of-duties"),
    ("security_admin", "security_admin", {"security_admin", "auditor"}, "separation-of-duties"),
    ("security_admin", "auditor", {"auditor", "admin"}, "separation-of-duties"),
    ("security_admin", "admin", {"admin", "security_admin"}, "separation-of-duties"),
    ("bootstrap", "dispatcher", {"admin", "security_admin"}, "separation-of-duties"),
    # The bootstrap account's roles are handed over, never widened.
    ("security_admin", "bootstrap", {"admin", "security_admin", "auditor"}, "bootstrap-handover"),
    ("security_admin", "bootstrap", {"admin", "security_admin", "supervisor"}, "bootstrap-handover"),
    ("security_admin", "bootstrap", {"security_admin", "auditor"}, "bootstrap-handover"),
    ("security_admin", "bootstrap", {"admin"}, "ok"),
    ("security_admin", "bootstrap", {"security_admin"}, "ok"),
    ("security_admin", "bootstrap", None, "ok"),
]


def _target(actor: Principal, kind: str) -> Account:
    if kind == "self":
        return Account(id=actor.subject, roles=actor.roles, is_bootstrap=actor.roles == BOOTSTRAP)
    if kind == "bootstrap":
        return Account(id=uuid.uuid4(), roles=BOOTSTRAP, is_bootstrap=True)
    return Account(id=uuid.uuid4(), roles=frozenset({kind}))


@pytest.mark.parametrize(("actor", "target", "roles", "expected"), CASES, ids=lambda v: str(v))
def test_who_may_change_which_account(actor: str, target: str, roles: set[str] | None, expected: str) -> None:
    who = principal(*ACTORS[actor])
    assert outcome(who, _target(who, target), roles) == expected


# Through the API, on a gateway whose bootstrap account nobody else's tests use.


@dataclass
class Desk:
    client: httpx.AsyncClient
    bootstrap: dict[str, str]
    bootstrap_id: str

    async def make(self, roles: list[str]) -> tuple[str, dict[str, str]]:
        """A new account with `roles` (made by the bootstrap account), its id and a bearer header."""
        username = f"sod{uuid.uuid4().hex[:8]}"
        made = await self.client.post(
            "/api/admin/users",
            headers=self.bootstrap,
            json={"username": username, "password": "Right-passw0rd", "display_name": "分权", "roles": roles},
        )
        assert made.status_code == 201, made.text
        login = await self.client.post("/api/auth/login", json={"username": username, "password": "Right-passw0rd"})
        return made.json()["id"], {"Authorization": f"Bearer {login.json()['access_token']}"}

    async def patch(self, headers: dict[str, str], user_id: str, body: dict[str, object]) -> httpx.Response:
        return await self.client.patch(f"/api/admin/users/{user_id}", headers=headers, json=body)


@pytest.fixture(scope="module")
async def desk(migrated: RunEnvironment) -> AsyncIterator[Desk]:
    name, password = f"boot-{uuid.uuid4().hex[:6]}", "Bootstrap-s3cret-42"
    settings = migrated.settings(
        GatewaySettings,
        jwt_private_key_file=migrated.private_key_file,
        admin_username=name,
        admin_password=password,
        # Every test here signs new accounts in: more than the per-address login limit in a minute.
        login_rate_limit="1000/minute",
        **NO_SERVICES,
    )
    async with running_gateway(settings) as client:
        login = await client.post("/api/auth/login", json={"username": name, "password": password})
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        me = (await client.get("/api/auth/me", headers=headers)).json()
        yield Desk(client, headers, me["id"])


async def test_a_security_admin_cannot_give_themselves_auditor_or_admin(desk: Desk) -> None:
    me, headers = await desk.make(["security_admin"])
    for roles in (["security_admin", "auditor"], ["security_admin", "admin"], ["auditor"]):
        refused = await desk.patch(headers, me, {"roles": roles})
        assert refused.status_code == 403 and refused.json()["rule"] == "own-roles", refused.text
    assert (await desk.client.get("/api/auth/me", headers=headers)).json()["roles"] == ["security_admin"]


async def test_the_bootstrap_account_cannot_add_auditor_to_itself_nor_be_widened_by_another(desk: Desk) -> None:
    widened = ["admin", "auditor", "security_admin"]
    own = await desk.patch(desk.bootstrap, desk.bootstrap_id, {"roles": widened})
    assert own.status_code == 403 and own.json()["rule"] == "own-roles"
    _, secadmin = await desk.make(["security_admin"])
    for roles in (widened, ["admin", "security_admin", "supervisor"]):
        other = await desk.patch(secadmin, desk.bootstrap_id, {"roles": roles})
        assert other.status_code == 422 and other.json()["rule"] == "bootstrap-handover", other.text
        assert other.json()["field"] == "roles"


async def test_a_plain_admin_cannot_touch_the_auditor_or_a_security_admin_but_manages_others(desk: Desk) -> None:
    _, admin = await desk.make(["admin"])
    auditor_id, _ = await desk.make(["auditor"])
    secadmin_id, _ = await desk.make(["security_admin"])
    other_admin_id, _ = await desk.make(["admin"])
    for victim in (auditor_id, secadmin_id, other_admin_id, desk.bootstrap_id):
        bodies: list[dict[str, object]] = [{"is_active": False}, {"display_name": "改名"}, {"roles": ["requester"]}]
        for body in bodies:
            refused = await desk.patch(admin, victim, body)
            assert refused.status_code == 403 and refused.json()["rule"] == "privileged-account", refused.text
    dispatcher_id, _ = await desk.make(["dispatcher"])
    assert (await desk.patch(admin, dispatcher_id, {"is_active": False})).status_code == 200
    assert (await desk.patch(admin, dispatcher_id, {"roles": ["dispatcher", "engineer"]})).status_code == 200
    # The security administrator may: the auditor's account is theirs to keep.
    _, secadmin = await desk.make(["security_admin"])
    assert (await desk.patch(secadmin, auditor_id, {"is_active": False})).status_code == 200


@pytest.mark.parametrize("roles", [["auditor", "admin"], ["auditor", "security_admin"], ["admin", "security_admin"]])
async def test_two_administrators_roles_are_never_granted_together(desk: Desk, roles: list[str]) -> None:
    _, secadmin = await desk.make(["security_admin"])
    created = await desk.client.post(
        "/api/admin/users",
        headers=secadmin,
        json={
            "username": f"two{uuid.uuid4().hex[:8]}",
            "password": "Right-passw0rd",
            "display_name": "x",
            "roles": roles,
        },
    )
    assert created.status_code == 422 and created.json()["rule"] == "separation-of-duties", created.text
    holder_id, _ = await desk.make(roles[:1])
    widened = await desk.patch(secadmin, holder_id, {"roles": roles})
    assert widened.status_code == 422 and widened.json()["field"] == "roles"


# A forgotten password: a one-time password shown once, changed at the next sign-in, sessions ended, audited;
# a privileged account's only by a security administrator.

RESET_FROM = "Right-passw0rd"


async def _reset(desk: Desk, headers: dict[str, str], user_id: str) -> httpx.Response:
    return await desk.client.post(f"/api/admin/users/{user_id}/password-reset", headers=headers)


async def _username(desk: Desk, user_id: str) -> str:
    return str((await desk.client.get(f"/api/admin/users/{user_id}", headers=desk.bootstrap)).json()["username"])


async def test_a_reset_gives_a_one_time_password_that_must_be_changed_at_the_next_sign_in(desk: Desk) -> None:
    user_id, _ = await desk.make(["dispatcher"])
    username = await _username(desk, user_id)
    old_session = await desk.client.post("/api/auth/login", json={"username": username, "password": RESET_FROM})
    _, secadmin = await desk.make(["security_admin"])

    reset = await _reset(desk, secadmin, user_id)
    assert reset.status_code == 200, reset.text
    temporary = reset.json()["temporary_password"]
    assert len(temporary) >= 12 and temporary != RESET_FROM

    # The old password and the sessions opened with it are gone.
    assert (
        await desk.client.post("/api/auth/login", json={"username": username, "password": RESET_FROM})
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


async def test_the_bootstrap_account_hands_its_roles_over(desk: Desk) -> None:
    """Last in the file: the bootstrap account ends with `admin` alone, as after a real handover."""
    named_secadmin_id, secadmin = await desk.make(["security_admin"])
    handed = await desk.patch(secadmin, desk.bootstrap_id, {"roles": ["admin"]})
    assert handed.status_code == 200 and handed.json()["roles"] == ["admin"]
    back = await desk.patch(secadmin, desk.bootstrap_id, {"roles": ["admin", "security_admin"]})
    assert back.status_code == 422 and back.json()["rule"] == "bootstrap-handover"
    assert named_secadmin_id != desk.bootstrap_id


async def test_a_plain_admin_makes_a_project_manager_who_signs_in_with_the_role_but_never_also_a_supervisor(
    desk: Desk,
) -> None:
    admin_id, admin = await desk.make(["admin"])
    username = f"pm{uuid.uuid4().hex[:8]}"
    body = {
        "username": username,
        "password": "Right-passw0rd",
        "display_name": "项目经理",
        "roles": ["project_manager"],
    }
    made = await desk.client.post("/api/admin/users", headers=admin, json=body)
    assert made.status_code == 201, made.text  # an ordinary account: the system administrator's to manage
    login = await desk.client.post("/api/auth/login", json={"username": username, "password": "Right-passw0rd"})
    me = await desk.client.get("/api/auth/me", headers={"Authorization": f"Bearer {login.json()['access_token']}"})
    assert me.json()["roles"] == ["project_manager"]

    both = await desk.patch(admin, made.json()["id"], {"roles": ["project_manager", "supervisor"]})
    assert both.status_code == 422, both.text
    assert (both.json()["rule"], both.json()["field"]) == ("separation-of-duties", "roles")
    twice = await desk.client.post(
        "/api/admin/users",
        headers=admin,
        json={**body, "username": f"pm{uuid.uuid4().hex[:8]}", "roles": ["supervisor", "project_manager"]},
    )
    assert twice.status_code == 422 and twice.json()["rule"] == "separation-of-duties", twice.text
    # With the vendor's other roles it goes together: a small vendor's project manager also dispatches.
    fine = await desk.patch(admin, made.json()["id"], {"roles": ["project_manager", "dispatcher"]})
    assert fine.status_code == 200 and fine.json()["roles"] == ["dispatcher", "project_manager"], fine.text
