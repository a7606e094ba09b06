"""The summary against ground truth: a week of events published shuffled and partly twice gives exactly
the figures computed from the scenario itself; the rebuild gives them again; requesters see their
subtree only."""

import asyncio
import math
import os
import sys
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import pytest
from sqlalchemy import text

from opsdesk_shared.db import create_engine, session_factory
from reporting.periods import day_range
from reporting.projections.rollups import ROLLUPS, refresh_all
from reporting.reports.summary import bucket_upper_edge

from .support.harness import Reporting, feed, sla_settled
from .support.scenario import Scenario, build

WEEK = date(2031, 7, 7)  # 2031-W28, a week no other test touches
PERIOD = {"from": "2031-07-07", "to": "2031-07-13"}


@pytest.fixture(scope="module")
async def scenario(reporting: Reporting) -> AsyncIterator[Scenario]:
    s = build(WEEK, seed=28)
    await feed(reporting, s, sla_settled(s))
    yield s


def pct(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 2) if whole else None


def nearest_rank_p90(values: list[int]) -> int:
    return values[math.ceil(0.9 * len(values)) - 1]


async def summary(reporting: Reporting, role: str = "supervisor", **extra: Any) -> dict[str, Any]:
    resp = await reporting.get("/api/reports/summary", role, **PERIOD, **extra)
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


async def test_summary_matches_the_events_whatever_their_order(reporting: Reporting, scenario: Scenario) -> None:
    s = await summary(reporting)
    tickets = scenario.tickets
    assert s["total"] == len(tickets)
    assert s["by_status"] == scenario.count_by("status")
    assert s["by_category"] == scenario.count_by("category")
    assert s["by_priority"] == scenario.count_by("priority")
    assert s["by_channel"] == scenario.count_by("channel")
    assert s["by_unit"] == scenario.count_by("unit")
    assert sum(d["tickets"] for d in s["per_day"]) == len(tickets)

    for metric in ("arrival", "resolution"):
        clocks = scenario.clocks(metric)
        got = s["sla"][metric]
        assert (got["met"], got["breached"], got["running"], got["cancelled"]) == (
            clocks["met"],
            clocks["breached"],
            clocks["running"],
            clocks["cancelled"],
        )
        assert got["compliance_pct"] == pct(clocks["met"], clocks["met"] + clocks["breached"])

    for key, kind in (("time_to_arrive", "arrive"), ("time_to_resolve", "resolve")):
        values = scenario.durations(kind)
        assert s[key]["n"] == len(values)
        assert s[key]["mean_s"] == pytest.approx(sum(values) / len(values), abs=0.1)
        assert s[key]["p90_s"] == bucket_upper_edge(nearest_rank_p90(values) // 60 * 60)

    resolved = [t for t in tickets if t.resolved_s is not None]
    assert s["resolved"] == len(resolved)
    assert s["first_call_resolution_pct"] == pct(sum(1 for t in resolved if t.remote and not t.assigned), len(resolved))
    assert s["reopen_pct"] == pct(sum(1 for t in resolved if t.reopened), len(resolved))
    ratings = [t.rating for t in tickets if t.rating]
    assert s["satisfaction"] == {
        "rated": len(ratings),
        "mean_rating": round(sum(ratings) / len(ratings), 2),
        "satisfied_pct": pct(sum(1 for r in ratings if r >= 4), len(ratings)),
    }
    assert s["traffic"] == {
        "sms_sent": scenario.sms["sent"],
        "sms_delivered": scenario.sms["delivered"],
        "sms_failed": scenario.sms["failed"],
        "sms_segments_sent": scenario.sms["sent"],
        "calls": scenario.calls,
        # The scenario uses no knowledge-base article (tests/test_knowledge_figures.py counts those).
        "calls_solved_by_article": 0,
        "tickets_solved_by_article": 0,
        "filings_spared": 0,
    }


async def test_filters_by_category_priority_and_unit_subtree(reporting: Reporting, scenario: Scenario) -> None:
    faults = await summary(reporting, category="fault")
    assert faults["total"] == sum(1 for t in scenario.tickets if t.category == "fault")
    p3 = await summary(reporting, priority="P3")
    assert p3["total"] == sum(1 for t in scenario.tickets if t.priority == "P3")
    east = scenario.units["east"]
    subtree = scenario.in_units(east, scenario.units["station"])
    scoped = await summary(reporting, unit_id=str(east))
    assert scoped["total"] == len(subtree)
    assert scoped["by_unit"] == scenario.count_by("unit", subtree)
    assert scoped["sla"]["resolution"]["breached"] == scenario.clocks("resolution", subtree)["breached"]
    assert scoped["unit_names"].get(str(east)) == "东区分局"


async def test_periods_spanning_months_read_the_monthly_tier_and_agree(
    reporting: Reporting, scenario: Scenario
) -> None:
    week = await summary(reporting)
    for first, last in (("2031-07-01", "2031-07-31"), ("2031-06-15", "2031-08-20"), ("2031-01-01", "2031-12-31")):
        resp = await reporting.get("/api/reports/summary", **{"from": first, "to": last})
        wide = resp.json()
        for key in ("total", "by_status", "by_category", "by_channel", "by_unit", "sla", "time_to_arrive"):
            assert wide[key] == week[key], (first, last, key)
    outside = await reporting.get("/api/reports/summary", **{"from": "2031-08-01", "to": "2031-09-30"})
    assert outside.json()["total"] == 0


async def test_every_tier_kept_by_difference_equals_a_recompute_from_the_facts(
    reporting: Reporting, scenario: Scenario
) -> None:
    """The worker moves each ticket's share as its events arrive (shuffled, some twice); recomputing
    every tier from the facts must give the same rows, none missing, none extra, no empty ones."""
    engine = create_engine(reporting.settings)
    tables = [table for rollup in ROLLUPS for table in rollup.tables]

    async def snapshot(session: Any) -> dict[str, list[tuple[Any, ...]]]:
        return {
            table: sorted(tuple(map(str, row)) for row in await session.execute(text(f"SELECT * FROM {table}")))
            for table in tables
        }

    try:
        async with session_factory(engine)() as session:
            kept = await snapshot(session)
            await refresh_all(session)
            recomputed = await snapshot(session)
            await session.rollback()  # the test only compares
    finally:
        await engine.dispose()
    assert sum(len(rows) for rows in kept.values()) > 100
    for table in tables:
        assert kept[table] == recomputed[table], table


def test_a_period_splits_into_whole_months_and_the_days_at_either_end() -> None:
    assert day_range(date(2031, 6, 15), date(2031, 8, 20)).split_months() == (
        (date(2031, 7, 1), date(2031, 7, 1)),
        [(date(2031, 6, 15), date(2031, 6, 30)), (date(2031, 8, 1), date(2031, 8, 20))],
    )
    assert day_range(date(2031, 1, 1), date(2031, 12, 31)).split_months() == ((date(2031, 1, 1), date(2031, 12, 1)), [])
    assert day_range(date(2031, 7, 7), date(2031, 7, 13)).split_months() == (
        None,
        [(date(2031, 7, 7), date(2031, 7, 13))],
    )
    assert day_range(date(2031, 12, 2), date(2032, 1, 31)).split_months() == (
        (date(2032, 1, 1), date(2032, 1, 1)),
        [(date(2031, 12, 2), date(2031, 12, 31))],
    )


async def test_requesters_see_their_own_subtree_and_nothing_more(reporting: Reporting, scenario: Scenario) -> None:
    east, station, west = scenario.units["east"], scenario.units["station"], scenario.units["west"]
    as_east = reporting.as_("requester", unit_id=east)
    mine = await reporting.client.get("/api/reports/summary", params=PERIOD, headers=as_east)
    assert mine.status_code == 200
    assert mine.json()["total"] == len(scenario.in_units(east, station))
    assert mine.json()["traffic"] is None  # SMS and calls are not theirs to count
    narrower = await reporting.client.get(
        "/api/reports/summary", params={**PERIOD, "unit_id": str(station)}, headers=as_east
    )
    assert narrower.json()["total"] == len(scenario.in_units(station))
    sideways = await reporting.client.get(
        "/api/reports/summary", params={**PERIOD, "unit_id": str(west)}, headers=as_east
    )
    assert sideways.status_code == 403 and sideways.json()["field"] == "unit_id"
    breaches = await reporting.client.get("/api/reports/sla", params=PERIOD, headers=as_east)
    assert breaches.status_code == 200
    assert {b["unit_id"] for b in breaches.json()["breaches"]} <= {str(east), str(station)}
    for path in ("/api/reports/weekly", "/api/reports/costs", "/api/reports/quarterly?quarter=2031Q3"):
        assert (await reporting.client.get(path, headers=as_east)).status_code == 403, path
    unitless = await reporting.client.get("/api/reports/summary", headers=reporting.as_("requester"))
    assert unitless.status_code == 403
    assert (await reporting.get("/api/reports/summary", "engineer")).status_code == 403
    assert (await reporting.get("/api/reports/summary", "hotline_operator", **PERIOD)).status_code == 200
    assert (await reporting.get("/api/reports/sla", "hotline_operator")).status_code == 403
    assert (await reporting.get("/api/reports/summary", "auditor")).status_code == 403


async def test_bad_periods_and_formats_are_refused_naming_the_parameter(reporting: Reporting) -> None:
    cases = {
        "/api/reports/summary?from=2031-07-13&to=2031-07-07": "from",
        "/api/reports/summary?from=yesterday": "from",
        "/api/reports/summary?format=doc": "format",
        "/api/reports/summary?category=printer": "category",
        "/api/reports/weekly?week=2031-W99": "week",
        "/api/reports/weekly?week=last": "week",
        "/api/reports/quarterly?quarter=2031Q5": "quarter",
        "/api/reports/quarterly": "quarter",
        "/api/reports/annual?year=abc": "year",
    }
    for url, field in cases.items():
        resp = await reporting.client.get(url, headers=reporting.as_("supervisor"))
        assert resp.status_code == 422, (url, resp.text)
        body = resp.json()
        assert resp.headers["content-type"].startswith("application/problem+json")
        named = body.get("field") or body["errors"][0]["field"]
        assert named == field, (url, body)


async def test_rebuild_from_the_kept_events_gives_identical_figures(reporting: Reporting, scenario: Scenario) -> None:
    def without_time(body: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in body.items() if k != "generated_at"}

    before = without_time(await summary(reporting))
    breaches_before = (await reporting.get("/api/reports/sla", **PERIOD)).json()["breaches"]
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "reporting",
        "rebuild",
        env={**os.environ, **reporting.env.env()},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await asyncio.wait_for(proc.communicate(), timeout=120)
    assert proc.returncode == 0, err.decode()[-2000:]
    assert "rebuilt the read model from" in err.decode()
    assert without_time(await summary(reporting)) == before
    assert (await reporting.get("/api/reports/sla", **PERIOD)).json()["breaches"] == [
        {**b, "lateness_s": pytest.approx(b["lateness_s"], abs=300)} for b in breaches_before
    ]
