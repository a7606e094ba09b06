"""Helpers for tests that drive reporting through its API and events: a client that signs tokens for
any role, and `feed`, which publishes a scenario's events the hard way (shuffled, partly twice)."""

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx

from opsdesk_shared.testing.plugin import RunEnvironment
from opsdesk_shared.testing.workers import eventually, publish
from reporting.config import ReportingSettings

from .scenario import Scenario


@dataclass
class Reporting:
    client: httpx.AsyncClient
    env: RunEnvironment
    settings: ReportingSettings

    def as_(self, *roles: str, **claims: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.env.token(*roles, **claims)}"}

    async def get(self, path: str, role: str = "supervisor", **params: Any) -> httpx.Response:
        return await self.client.get(path, params=params, headers=self.as_(role))


async def feed(reporting: Reporting, scenario: Scenario, settled: Callable[[dict[str, Any]], bool]) -> None:
    """Publish the scenario's events shuffled, a fifth of them twice, and wait until the week's summary
    satisfies `settled`."""
    rng = random.Random(1)
    events = list(scenario.events)
    rng.shuffle(events)
    envelopes = await publish(reporting.env.amqp_url, *events)
    await publish(reporting.env.amqp_url, *rng.sample(envelopes, len(envelopes) // 5))
    first, last = scenario.first_day, date.fromordinal(scenario.first_day.toordinal() + 6)

    async def probe() -> dict[str, Any] | None:
        resp = await reporting.get("/api/reports/summary", **{"from": first.isoformat(), "to": last.isoformat()})
        body = resp.json()
        return body if resp.status_code == 200 and settled(body) else None

    await eventually(probe, timeout=30)


def sla_settled(scenario: Scenario) -> Callable[[dict[str, Any]], bool]:
    """Every event of the scenario is in once every outcome it sets is counted."""
    expected = {m: dict(scenario.clocks(m)) for m in ("arrival", "resolution")}
    expected_sms = scenario.sms

    def settled(body: dict[str, Any]) -> bool:
        got = {m: {k: v for k, v in body["sla"][m].items() if k != "compliance_pct" and v} for m in expected}
        traffic = body["traffic"] or {}
        return (
            body["total"] == len(scenario.tickets)
            and got == expected
            and body["satisfaction"]["rated"] == sum(1 for t in scenario.tickets if t.rating)
            and body["reopen_pct"] is not None
            and traffic.get("sms_sent") == expected_sms["sent"]
            and traffic.get("calls") == scenario.calls
        )

    return settled
