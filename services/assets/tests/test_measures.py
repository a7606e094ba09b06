"""Improvement measures (改进措施) through HTTP on real PostgreSQL and RabbitMQ: proposed from a finding,
reviewed by the vendor's project manager (announced as `measure.reviewed`), reported to the bureau, planned,
done and verified, each step in the history with who and when; steps out of turn, by the wrong role or
without what they must carry refused as problem+json naming the rule, with nothing written."""

import uuid
from datetime import timedelta
from typing import Any

import asyncpg

from opsdesk_shared.contracts.gateway import UserCreated
from opsdesk_shared.testing.workers import EventTap, eventually, publish

from .conftest import Ledger
from .test_inspections import AIRCON_ITEMS, inspection_worker, plan, rounds_of, template, today

PM = "pm-li"


def pm(ledger: Ledger) -> dict[str, str]:
    return ledger.as_("project_manager", name=PM)


async def a_finding(ledger: Ledger) -> dict[str, Any]:
    """A round walked with one abnormal reading: its finding."""
    [unit] = await ledger.unit()
    room = f"二号机房-{uuid.uuid4().hex[:4]}"
    aircon = await ledger.register(unit, asset_class="air_conditioner", name="精密空调", site="市局机房", room=room)
    await template(ledger, "air_conditioner", AIRCON_ITEMS)
    daily = await plan(ledger, rooms=[{"site": "市局机房", "room": room}])
    async with inspection_worker(ledger):
        await eventually(lambda: rounds_of(ledger, daily["id"]))
    [round_] = await rounds_of(ledger, daily["id"])
    url = f"/api/inspections/rounds/{round_['id']}"
    engineer = ledger.as_("engineer", name="engineer-wang")
    [stop] = (await ledger.client.get(url, headers=engineer)).json()["stops"]
    hot = {"results": {"room_temperature": 30, "humidity": 50, "alarm_lamps_off": True}}
    assert (await ledger.client.put(f"{url}/stops/{stop['id']}", json=hot, headers=engineer)).status_code == 200
    params = {"round_id": round_["id"]}
    [finding] = (await ledger.client.get("/api/inspections/findings", params=params, headers=engineer)).json()
    assert finding["asset_id"] == aircon["id"]
    return dict(finding)


async def propose(ledger: Ledger, **fields: Any) -> dict[str, Any]:
    body = {
        "title": "机房空调滤网定期清洗",
        "problem": "二号机房温度超过27°C",
        "proposal": "每月清洗一次滤网",
        **fields,
    }
    resp = await ledger.client.post("/api/measures", json=body, headers=ledger.as_("engineer", name="engineer-wang"))
    assert resp.status_code == 201, resp.text
    return dict(resp.json())


async def step(ledger: Ledger, measure_id: str, headers: dict[str, str], **body: Any) -> Any:
    return await ledger.client.post(f"/api/measures/{measure_id}/steps", json=body, headers=headers)


async def test_a_measure_from_a_finding_goes_from_proposed_to_verified_with_every_step_recorded(
    ledger: Ledger,
) -> None:
    finding = await a_finding(ledger)
    measure = await propose(ledger, finding_id=finding["id"])
    assert measure["state"] == "proposed" and measure["round_id"] == finding["round_id"]  # the finding's round
    assert measure["proposed_by_name"] == "engineer-wang" and measure["actions"] == []  # engineers do not review
    mid = measure["id"]

    # The project manager sees it among the proposed ones, with the review open to them.
    listed = await ledger.client.get("/api/measures", params={"state": "proposed"}, headers=pm(ledger))
    assert mid in [m["id"] for m in listed.json()]
    assert (await ledger.client.get(f"/api/measures/{mid}", headers=pm(ledger))).json()["actions"] == [
        "accept",
        "reject",
    ]

    async with EventTap(ledger.env.amqp_url, "measure.*") as tap:
        accepted = await step(ledger, mid, pm(ledger), action="accept", comment="同意，报甲方项目负责人", version=1)
        assert accepted.status_code == 200, accepted.text
        await eventually(lambda: tap.of("measure.reviewed", measure_id=mid))
    [reviewed] = tap.of("measure.reviewed", measure_id=mid)
    assert (reviewed.data["outcome"], reviewed.data["reviewed_by_name"]) == ("accepted", PM)
    assert reviewed.data["finding_id"] == finding["id"] and reviewed.data["comment"] == "同意，报甲方项目负责人"

    assert (await step(ledger, mid, pm(ledger), action="report")).status_code == 200
    first, moved = today() + timedelta(days=7), today() + timedelta(days=10)
    assert (await step(ledger, mid, pm(ledger), action="plan", planned_on=first.isoformat())).status_code == 200
    planned = await step(ledger, mid, pm(ledger), action="plan", planned_on=moved.isoformat())
    assert planned.json()["planned_on"] == moved.isoformat()
    done = await step(ledger, mid, ledger.as_("engineer", name="engineer-zhao"), action="complete")
    assert done.status_code == 200, done.text
    verified = await step(ledger, mid, ledger.as_("supervisor", name="supervisor-zhao"), action="verify")
    assert verified.status_code == 200, verified.text
    body = verified.json()
    assert body["state"] == "verified" and body["version"] == 7 and body["actions"] == []
    history = [(s["action"], s["from_state"], s["to_state"], s["by_name"]) for s in body["steps"]]
    assert history == [
        ("propose", None, "proposed", "engineer-wang"),
        ("accept", "proposed", "accepted", PM),
        ("report", "accepted", "reported", PM),
        ("plan", "reported", "planned", PM),
        ("plan", "planned", "planned", PM),
        ("complete", "planned", "done", "engineer-zhao"),
        ("verify", "done", "verified", "supervisor-zhao"),
    ]
    assert [s["planned_on"] for s in body["steps"] if s["action"] == "plan"] == [first.isoformat(), moved.isoformat()]
    assert all(s["at"] for s in body["steps"])


async def test_a_step_out_of_turn_by_the_wrong_role_or_missing_its_reason_is_refused_naming_the_rule(
    ledger: Ledger,
) -> None:
    measure = await propose(ledger)  # proposed freely, from no finding or round
    mid = measure["id"]
    refused: list[tuple[dict[str, str], dict[str, Any], int, str, str]] = [
        (ledger.as_("dispatcher"), {"action": "accept", "comment": "好"}, 403, "measure-step-role", "action"),
        (ledger.as_("supervisor"), {"action": "accept", "comment": "好"}, 403, "measure-step-role", "action"),
        (pm(ledger), {"action": "report"}, 409, "measure-lifecycle", "action"),
        (pm(ledger), {"action": "verify"}, 403, "measure-step-role", "action"),
        (pm(ledger), {"action": "reject"}, 422, "measure-comment-required", "comment"),
        (pm(ledger), {"action": "accept", "comment": "好", "version": 9}, 409, "measure-stale", "version"),
    ]
    for headers, body, status, rule, field in refused:
        resp = await step(ledger, mid, headers, **body)
        assert resp.status_code == status, (body, resp.text)
        assert resp.headers["content-type"].startswith("application/problem+json")
        assert (resp.json()["rule"], resp.json()["field"]) == (rule, field), resp.json()
    # Nothing of those was written.
    after = (await ledger.client.get(f"/api/measures/{mid}", headers=pm(ledger))).json()
    assert (after["state"], after["version"], len(after["steps"])) == ("proposed", 1, 1)

    rejected = await step(ledger, mid, pm(ledger), action="reject", comment="已有同类措施")
    assert rejected.status_code == 200 and rejected.json()["state"] == "rejected"
    again = await step(ledger, mid, pm(ledger), action="accept", comment="改主意了")
    assert again.status_code == 409 and again.json()["rule"] == "measure-lifecycle"  # reviewed once
    plan_early = await step(ledger, mid, pm(ledger), action="plan")
    assert plan_early.status_code == 409


async def test_bad_proposals_and_the_roles_that_may_not_touch_measures(ledger: Ledger) -> None:
    engineer = ledger.as_("engineer")
    base = {"title": "更换UPS电池", "problem": "UPS负载高", "proposal": "更换电池组"}
    for body, field in (
        ({**base, "finding_id": str(uuid.uuid4())}, "finding_id"),
        ({**base, "round_id": str(uuid.uuid4())}, "round_id"),
        ({**base, "title": "  "}, "title"),
        ({k: v for k, v in base.items() if k != "proposal"}, "proposal"),
        ({**base, "state": "verified"}, "state"),
    ):
        resp = await ledger.client.post("/api/measures", json=body, headers=engineer)
        assert resp.status_code == 422, (body, resp.text)
        assert field in resp.text, resp.text
    for role in ("requester", "hotline_operator", "supervisor", "admin", "auditor"):
        assert (await ledger.client.post("/api/measures", json=base, headers=ledger.as_(role))).status_code == 403
    for role in ("requester", "hotline_operator", "auditor"):
        assert (await ledger.client.get("/api/measures", headers=ledger.as_(role))).status_code == 403, role
    mine = await ledger.client.post("/api/measures", json=base, headers=ledger.as_("project_manager"))
    assert mine.status_code == 201
    unknown = await ledger.client.get(f"/api/measures/{uuid.uuid4()}", headers=ledger.as_("supervisor"))
    assert unknown.status_code == 404


async def test_a_measure_names_the_people_who_proposed_and_reviewed_it_not_their_logins(ledger: Ledger) -> None:
    """The gateway's `user.*` events give assets each user's name: the measure's history shows 李经理, not pm-li."""
    [unit] = await ledger.unit()
    people = {"engineer": (uuid.uuid4(), "gcs-zhao", "赵工"), "project_manager": (uuid.uuid4(), "pm-li", "李经理")}
    for role, (user_id, username, display_name) in people.items():
        user = UserCreated(user_id=user_id, username=username, display_name=display_name, phone=None,
                           roles=[role], unit_id=unit, is_active=True, aggregate_version=1)  # fmt: skip
        await publish(ledger.env.amqp_url, user)
    await eventually(lambda: known(ledger, people["project_manager"][0]))

    def as_person(role: str) -> dict[str, str]:
        user_id, username, _ = people[role]
        return {"Authorization": f"Bearer {ledger.env.token(role, subject=user_id, name=username)}"}

    body = {"title": "UPS电池更换", "problem": "UPS负载高", "proposal": "更换电池组"}
    made = await ledger.client.post("/api/measures", json=body, headers=as_person("engineer"))
    assert made.status_code == 201 and made.json()["proposed_by_name"] == "赵工", made.text
    reviewed = await step(ledger, made.json()["id"], as_person("project_manager"), action="accept", comment="同意")
    assert reviewed.status_code == 200, reviewed.text
    assert [s["by_name"] for s in reviewed.json()["steps"]] == ["赵工", "李经理"]


async def known(ledger: Ledger, user_id: uuid.UUID) -> bool:
    conn = await asyncpg.connect(f"{ledger.env.servers.database_url}/{ledger.env.database_prefix}_assets")
    try:
        return bool(await conn.fetchval("SELECT 1 FROM directory_user WHERE id = $1", user_id))
    finally:
        await conn.close()
