"""Training sessions and user visits in the quarterly report, from the assets service's events (and intake's
answer to a visit's hidden risk), published shuffled and partly twice: sessions with attendees and ratings,
attendees by unit, materials delivered; visits planned vs done per unit; each risk with its ticket's status."""

import io
import random
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import openpyxl
import pypdf

from opsdesk_shared.contracts.assets import (
    TrainingFeedbackGiven,
    TrainingMaterial,
    TrainingSessionSaved,
    TrainingSignedIn,
    VisitRecorded,
    VisitRisk,
    VisitRiskMeasureProposed,
    VisitScheduled,
    VisitSurveyed,
)
from opsdesk_shared.contracts.envelope import Event
from opsdesk_shared.contracts.gateway import UnitCreated
from opsdesk_shared.contracts.intake import TicketCreated, VisitRiskTicketed
from opsdesk_shared.contracts.vocabulary import Category, Channel, Priority, TicketStatus
from opsdesk_shared.testing.workers import eventually, publish

from .support.harness import Reporting

QUARTER = "2036Q2"  # a quarter, and a contract year (2035-05-29 – 2036-05-28), no other test touches
AT = datetime(2036, 5, 10, 2, 0, tzinfo=UTC)  # 10:00 Shanghai


async def test_training_and_visits_appear_in_the_quarterly_report(reporting: Reporting) -> None:
    branch, station, other = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    units = [
        UnitCreated(
            unit_id=branch,
            code=f"FB-{branch.hex[:6]}",
            name="朝阳分局",
            kind="sub_bureau",
            parent_id=None,
            path=[branch],
        ),
        UnitCreated(
            unit_id=station,
            code=f"FS-{station.hex[:6]}",
            name="望京派出所",
            kind="police_station",
            parent_id=branch,
            path=[branch, station],
        ),  # fmt: skip
        UnitCreated(
            unit_id=other,
            code=f"FO-{other.hex[:6]}",
            name="三里屯派出所",
            kind="police_station",
            parent_id=None,
            path=[other],
        ),
    ]
    session_id = uuid.uuid4()
    manual = TrainingMaterial(
        material_id=uuid.uuid4(), filename="操作手册.pdf", content_type="application/pdf", size=20480
    )
    saved = {
        "session_id": session_id, "topic": "居住证受理系统操作培训", "trainer": "张工", "place": "市局三楼会议室",
        "starts_at": AT, "ends_at": AT + timedelta(hours=2), "audience_unit_ids": [branch],
    }  # fmt: skip
    people = [(uuid.uuid4(), station, 5), (uuid.uuid4(), station, 4), (uuid.uuid4(), other, None)]
    visit_done, visit_owed, risk_id, ticket_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    grounding = uuid.uuid4()  # a risk proposed as an improvement measure instead
    q2 = {"due_from": date(2036, 4, 1), "due_by": date(2036, 6, 30)}
    events: list[Event] = [
        TrainingSessionSaved(**saved, aggregate_version=1),
        TrainingSessionSaved(**saved, materials=[manual], aggregate_version=2),
        *[
            TrainingSignedIn(session_id=session_id, user_id=u, display_name=f"学员{n}", unit_id=unit, signed_in_at=AT)
            for n, (u, unit, _) in enumerate(people)
        ],
        *[
            TrainingFeedbackGiven(session_id=session_id, user_id=u, rating=rating, given_at=AT + timedelta(hours=2))
            for u, _, rating in people
            if rating
        ],
        VisitScheduled(visit_id=visit_done, unit_id=station, unit_name="望京派出所", **q2, scheduled_at=AT),
        VisitScheduled(visit_id=visit_owed, unit_id=other, unit_name="三里屯派出所", **q2, scheduled_at=AT),
        VisitRecorded(
            visit_id=visit_done,
            unit_id=station,
            unit_name="望京派出所",
            **q2,
            visited_at=AT,
            visitor_id=uuid.uuid4(),
            visitor_name="赵工",
            risks=[
                VisitRisk(risk_id=risk_id, description="UPS电池老化"),
                VisitRisk(risk_id=grounding, description="机柜未接地"),
            ],
        ),  # fmt: skip
        VisitRiskMeasureProposed(
            risk_id=grounding,
            visit_id=visit_done,
            unit_id=station,
            measure_id=uuid.uuid4(),
            title="派出所机柜接地整改",
            proposed_by=uuid.uuid4(),
            proposed_by_name="赵工",
            proposed_at=AT,
        ),  # fmt: skip
        VisitSurveyed(visit_id=visit_done, unit_id=station, satisfaction=5, surveyed_at=AT + timedelta(days=1)),
        VisitRiskTicketed(risk_id=risk_id, visit_id=visit_done, ticket_id=ticket_id, number="20360510-0001", at=AT),
        TicketCreated(
            ticket_id=ticket_id,
            number="20360510-0001",
            title="回访发现隐患：UPS电池老化",
            category=Category.SERVICE_REQUEST,
            priority=Priority.P3,
            status=TicketStatus.NEW,
            unit_id=station,
            channel=Channel.VISIT,
            requester_name="王所长",
            requester_phone="+8613812345678",
            created_at=AT,
            aggregate_version=1,
        ),  # fmt: skip
    ]
    await publish(reporting.env.amqp_url, *units)
    rng = random.Random(20)
    rng.shuffle(events)
    envelopes = await publish(reporting.env.amqp_url, *events)
    await publish(reporting.env.amqp_url, *rng.sample(envelopes, len(envelopes) // 3))

    async def settled() -> dict[str, Any] | None:
        body = (await reporting.get("/api/reports/quarterly", quarter=QUARTER)).json()
        training, visits = body["training"], body["visits"]
        ready = (
            training["sessions"] and training["sessions"][0]["ratings"] == 2 and training["materials"]
            and any(r["ticket_status"] == "new" for r in visits["risks"]) and visits["done"] == 1
            and any(r["measure_title"] for r in visits["risks"])
            and visits["by_unit"] and any(u["mean_satisfaction"] for u in visits["by_unit"])
        )  # fmt: skip
        return body if ready else None

    body = await eventually(settled, timeout=30)
    [held] = body["training"]["sessions"]
    assert (held["attendees"], held["mean_rating"], held["materials"]) == (3, 4.5, ["操作手册.pdf"])
    assert {u["unit"]: u["attendees"] for u in body["training"]["attendees_by_unit"]} == {
        "望京派出所": 2,
        "三里屯派出所": 1,
    }
    assert body["training"]["materials"] == [
        {"session": "居住证受理系统操作培训", "filename": "操作手册.pdf", "size": 20480}
    ]
    by_unit = {u["unit"]: u for u in body["visits"]["by_unit"]}
    assert (
        by_unit["望京派出所"]["planned"],
        by_unit["望京派出所"]["done"],
        by_unit["望京派出所"]["mean_satisfaction"],
    ) == (1, 1, 5)
    assert (by_unit["三里屯派出所"]["planned"], by_unit["三里屯派出所"]["outstanding"]) == (1, 1)
    risks = {r["description"]: r for r in body["visits"]["risks"]}
    assert (risks["UPS电池老化"]["ticket_number"], risks["UPS电池老化"]["measure_title"]) == ("20360510-0001", None)
    assert (risks["机柜未接地"]["ticket_number"], risks["机柜未接地"]["measure_title"]) == (None, "派出所机柜接地整改")

    pdf = (await reporting.client.get(
        "/api/reports/quarterly", params={"quarter": QUARTER, "format": "pdf"}, headers=reporting.as_("supervisor")
    )).content  # fmt: skip
    text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    for expected in (
        "培训签到",
        "居住证受理系统操作培训",
        "操作手册.pdf",
        "用户回访",
        "UPS电池老化",
        "20360510-0001",
        "派出所机柜接地整改",
    ):
        assert expected in text, expected
    xlsx = (await reporting.client.get(
        "/api/reports/quarterly", params={"quarter": QUARTER, "format": "xlsx"}, headers=reporting.as_("supervisor")
    )).content  # fmt: skip
    cells = {
        str(cell.value)
        for sheet in openpyxl.load_workbook(io.BytesIO(xlsx)).worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.value is not None
    }
    assert {"居住证受理系统操作培训", "操作手册.pdf", "UPS电池老化"} <= cells
