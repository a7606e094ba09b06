"""User visits (回访) through HTTP on real PostgreSQL and RabbitMQ: plans owe each covered unit a visit per
period, made at once and again by the worker without doubles; a visit is recorded once; the unit answers
the survey; a hidden risk raised as a ticket once, its number coming back from intake's event."""

import uuid
from datetime import UTC, datetime
from typing import Any

from assets.config import AssetsSettings
from assets.inspections.rules import SHANGHAI
from assets.visits.clock import VisitClock
from opsdesk_shared.contracts.intake import VisitRiskTicketed
from opsdesk_shared.db import create_engine, session_factory
from opsdesk_shared.testing.workers import EventTap, eventually, publish

from .conftest import Ledger

RECORD = {
    "contact_name": "王所长",
    "contact_phone": "13812345678",
    "usage": "受理窗口两台终端每日办理居住证约80笔",
    "checked": "制证机、读卡器、终端网络连通性",
    "environment": "机房温度偏高，空调滤网积灰",
    "risks": [{"description": "UPS电池已使用5年，续航不足10分钟"}],
    "proposals": "年内更换UPS电池组",
}


async def plan(ledger: Ledger, **fields: Any) -> dict[str, Any]:
    resp = await ledger.client.post("/api/visits/plans", json=fields, headers=ledger.as_("dispatcher"))
    assert resp.status_code == 201, resp.text
    return dict(resp.json())


async def visits_of(ledger: Ledger, unit_id: uuid.UUID, headers: dict[str, str] | None = None) -> list[dict[str, Any]]:
    resp = await ledger.client.get("/api/visits", params={"unit_id": str(unit_id)}, headers=headers or ledger.admin)
    assert resp.status_code == 200, resp.text
    return list(resp.json())


async def test_plans_owe_each_unit_one_visit_per_period_however_often_the_worker_runs(ledger: Ledger) -> None:
    branch = await ledger.unit()
    one, two = await ledger.unit(branch), await ledger.unit(branch)
    quarterly = await plan(
        ledger, name="分局季度回访", unit_kind="sub_bureau", root_unit_id=str(branch[-1]), period="quarter"
    )
    yearly = await plan(
        ledger, name="派出所年度回访", unit_kind="police_station", root_unit_id=str(branch[-1]), period="year"
    )
    mine = {quarterly["id"], yearly["id"]}  # other tests' plans (the API fuzzer's) may cover these units too

    owed = [v for v in await visits_of(ledger, branch[-1]) if v["plan_id"] in mine]
    today = datetime.now(SHANGHAI).date()
    by_unit = {(v["unit_id"], v["plan_id"] == quarterly["id"]): v for v in owed}
    assert len(owed) == 3 and set(by_unit) == {(str(branch[-1]), True), (str(one[-1]), False), (str(two[-1]), False)}
    assert by_unit[(str(one[-1]), False)]["due_by"] == f"{today.year}-12-31"
    assert all(v["status"] == "planned" and v["standing"] == "due" for v in owed)

    # A station opened after the plan was made is owed its visit at the worker's next pass; nothing doubles.
    three = await ledger.unit(branch)
    settings = ledger.env.settings(AssetsSettings)
    engine = create_engine(settings)
    try:
        clock = VisitClock(session_factory(engine))
        await clock.tick()
        await clock.tick()
    finally:
        await engine.dispose()
    owed = [v for v in await visits_of(ledger, branch[-1]) if v["plan_id"] in mine]
    assert len(owed) == 4 and str(three[-1]) in {v["unit_id"] for v in owed}


async def test_a_visit_is_recorded_once_surveyed_by_its_unit_and_a_risk_becomes_one_ticket(ledger: Ledger) -> None:
    branch = await ledger.unit()
    station = await ledger.unit(branch)
    resp = await ledger.client.post(
        "/api/visits",
        json={"unit_id": str(station[-1]), "scheduled_on": datetime.now(SHANGHAI).date().isoformat()},
        headers=ledger.as_("engineer"),
    )
    assert resp.status_code == 201, resp.text
    visit = resp.json()
    url = f"/api/visits/{visit['id']}"
    engineer = ledger.as_("engineer", name="赵工")

    async with EventTap(ledger.env.amqp_url, "visit.*") as tap:
        recorded = await ledger.client.post(f"{url}/record", json=RECORD, headers=engineer)
        assert recorded.status_code == 200, recorded.text
        done = recorded.json()
        assert done["status"] == "done" and done["visitor_name"] == "赵工" and done["contact_phone"] == "+8613812345678"
        twice = await ledger.client.post(f"{url}/record", json=RECORD, headers=engineer)
        assert twice.status_code == 409 and twice.json()["code"] == "visit.recorded_already"

        [risk] = done["risks"]
        raised = await ledger.client.post(f"{url}/risks/{risk['id']}/ticket", headers=engineer)
        assert raised.status_code == 202 and raised.json()["raised_at"]
        again = await ledger.client.post(f"{url}/risks/{risk['id']}/ticket", headers=engineer)
        assert again.status_code == 202
        await eventually(lambda: any(e.type == "visit.risk_raised" for e in tap.received))
        [announced] = [e for e in tap.received if e.type == "visit.risk_raised"]
        assert announced.data["risk_id"] == risk["id"] and announced.data["contact_phone"] != "+8613812345678"  # sealed

    # Intake's answer, as it arrives in production: the ticket's number shown on the visit.
    await publish(
        ledger.env.amqp_url,
        VisitRiskTicketed(
            risk_id=uuid.UUID(risk["id"]),
            visit_id=uuid.UUID(visit["id"]),
            ticket_id=uuid.uuid4(),
            number="20261207-0042",
            at=datetime.now(UTC),
        ),
    )

    async def numbered() -> bool:
        got = await ledger.client.get(url, headers=ledger.admin)
        return got.json()["risks"][0]["ticket_number"] == "20261207-0042"

    await eventually(numbered)

    clerk = ledger.as_("requester", unit_id=station[-1])
    mine = await ledger.client.get(url, headers=clerk)
    assert mine.status_code == 200 and mine.json()["contact_phone"] == "+86138****5678"
    surveyed = await ledger.client.put(f"{url}/survey", json={"satisfaction": 5, "comment": "很满意"}, headers=clerk)
    assert surveyed.status_code == 200 and surveyed.json()["satisfaction"] == 5
    [elsewhere] = await ledger.unit()
    outsider = ledger.as_("requester", unit_id=elsewhere)
    assert (await ledger.client.get(url, headers=outsider)).status_code == 404
    assert (await ledger.client.post(f"{url}/record", json=RECORD, headers=clerk)).status_code == 403


async def test_bad_visits_are_refused_naming_the_field(ledger: Ledger) -> None:
    branch = await ledger.unit()
    resp = await ledger.client.post(
        "/api/visits",
        json={"unit_id": str(branch[-1]), "scheduled_on": datetime.now(SHANGHAI).date().isoformat()},
        headers=ledger.admin,
    )
    url = f"/api/visits/{resp.json()['id']}/record"
    cases = [
        ({**RECORD, "contact_phone": "12"}, "contact_phone", 422),
        ({**RECORD, "contact_phone": "999999999999"}, "contact_phone", 422),
        ({**RECORD, "checked": ""}, "checked", 422),
        ({**RECORD, "visited_at": "2099-01-01T10:00:00+08:00"}, "visited_at", 422),
        ({**RECORD, "mood": "good"}, "mood", 422),
    ]
    for body, field, code in cases:
        bad = await ledger.client.post(url, json=body, headers=ledger.admin)
        assert bad.status_code == code, (field, bad.text)
        assert field in str(bad.json().get("field") or bad.json().get("errors")), (field, bad.json())
    still = await ledger.client.get(f"/api/visits/{resp.json()['id']}", headers=ledger.admin)
    assert still.json()["status"] == "planned" and still.json()["risks"] == []  # nothing half-written
    bad_plan = await ledger.client.post(
        "/api/visits/plans", json={"name": "x", "unit_kind": "bureau", "period": "quarter"}, headers=ledger.admin
    )
    assert bad_plan.status_code == 422 and "unit_kind" in str(bad_plan.json())
    ancient = await ledger.client.post(
        "/api/visits/plans",
        json={"name": "x", "unit_kind": "police_station", "period": "month", "starts_on": "1990-01-01"},
        headers=ledger.admin,
    )
    assert ancient.status_code == 422 and ancient.json()["code"] == "visit.backdated"


async def test_a_risk_becomes_one_improvement_measure_linked_to_its_visit_under_review(ledger: Ledger) -> None:
    """Issue 20: the hidden risk proposed as a measure in one step (beside the ticket), by the vendor's staff who
    record visits or the project manager; asked twice, the same measure; announced for the reports."""
    [station] = await ledger.unit()
    engineer, manager = ledger.as_("engineer", name="赵工"), ledger.as_("project_manager", name="吴刚")
    arranged = await ledger.client.post(
        "/api/visits",
        json={"unit_id": str(station), "scheduled_on": datetime.now(SHANGHAI).date().isoformat()},
        headers=engineer,
    )
    url = f"/api/visits/{arranged.json()['id']}"
    risks = [{"description": "UPS电池已使用5年，续航不足10分钟"}, {"description": "机柜未接地"}]
    recorded = await ledger.client.post(f"{url}/record", json={**RECORD, "risks": risks}, headers=engineer)
    assert recorded.status_code == 200, recorded.text
    ups, ground = recorded.json()["risks"]

    # Before the visit is written up there is nothing to propose; the others' visits' risks are not this one's.
    planned = await ledger.client.post(
        "/api/visits", json={"unit_id": str(station), "scheduled_on": datetime.now(SHANGHAI).date().isoformat()},
        headers=engineer,
    )  # fmt: skip
    elsewhere = await ledger.client.post(
        f"/api/visits/{planned.json()['id']}/risks/{ups['id']}/measure", headers=engineer
    )
    assert elsewhere.status_code == 404 and elsewhere.json()["field"] == "risk_id"
    # A requester, a supervisor and the administrator (who records visits but proposes no measures) may not.
    for who in ("requester", "supervisor", "admin"):
        refused = await ledger.client.post(f"{url}/risks/{ups['id']}/measure", headers=ledger.as_(who))
        assert refused.status_code == 403, (who, refused.text)
    bad = await ledger.client.post(f"{url}/risks/{ups['id']}/measure", json={"title": ""}, headers=engineer)
    assert bad.status_code == 422 and "title" in str(bad.json())

    async with EventTap(ledger.env.amqp_url, "visit.risk_measure_proposed") as tap:
        made = await ledger.client.post(f"{url}/risks/{ups['id']}/measure", headers=engineer)
        assert made.status_code == 201, made.text
        measure = made.json()
        assert (measure["state"], measure["visit_id"], measure["visit_risk_id"]) == ("proposed", url[12:], ups["id"])
        assert "UPS电池已使用5年" in measure["title"] and "UPS电池已使用5年" in measure["problem"]
        assert measure["proposal"] == RECORD["proposals"]  # the visit's proposals
        assert [s["action"] for s in measure["steps"]] == ["propose"]
        again = await ledger.client.post(f"{url}/risks/{ups['id']}/measure", headers=manager)
        assert again.status_code == 200 and again.json()["id"] == measure["id"]
        # The project manager proposes the other with words of their own.
        own = await ledger.client.post(
            f"{url}/risks/{ground['id']}/measure",
            json={"title": "各派出所机柜接地整改", "proposal": "联系物业加装接地排，下次巡检复查。"},
            headers=manager,
        )
        assert own.status_code == 201 and own.json()["title"] == "各派出所机柜接地整改"
        await eventually(lambda: len(tap.received) >= 2)
        announced = {e.data["risk_id"]: e.data for e in tap.received}
        assert announced[ups["id"]]["measure_id"] == measure["id"] and len(tap.received) == 2

    # The visit shows each risk's measure; the measures list finds them by visit, waiting for the review.
    detail = (await ledger.client.get(url, headers=ledger.admin)).json()
    assert [r["measure_id"] for r in detail["risks"]] == [measure["id"], own.json()["id"]]
    listed = await ledger.client.get("/api/measures", params={"visit_id": url[12:]}, headers=manager)
    assert {m["id"] for m in listed.json()} == {measure["id"], own.json()["id"]}
    accepted = await ledger.client.post(
        f"/api/measures/{measure['id']}/steps", json={"action": "accept", "comment": "同意更换"}, headers=manager
    )
    assert accepted.status_code == 200 and accepted.json()["state"] == "accepted"
