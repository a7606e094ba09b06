"""Monitoring figures (issue 17): a storm of 1,000 alerts in one Alertmanager notification — how long until every
alert is recorded (the POST answers once they are committed), that a resend doubles nothing, and how long intake
takes to put them all on tickets (one ticket: a storm shares its lead's) — and the availability report over a
year for 5,000 devices with their outages, through the gateway.

The devices and outages are written straight into reporting's read model (5,000 devices' alerts through the
stack would measure the alert path again, not the report)."""

import asyncio
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg
import httpx

STORM = 1000
DEVICES = 5000
OUTAGES_PER_DEVICE = 12  # about one a month


def _notification(n: int, starts: datetime, group: str) -> dict[str, Any]:
    alerts = [
        {
            "status": "firing",
            "labels": {"alertname": "DeviceDown", "severity": "critical", "asset_tag": f"BENCH-{i:05d}"},
            "annotations": {"summary": f"BENCH-{i:05d} 离线"},
            "startsAt": starts.isoformat(),
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://prometheus:9090/graph",
            "fingerprint": f"{group}-{i:05d}",
        }
        for i in range(n)
    ]
    return {
        "version": "4",
        "groupKey": f'{{}}:{{bench="{group}"}}',
        "status": "firing",
        "receiver": "opsdesk",
        "alerts": alerts,
    }


async def _count(dsn: str, query: str, *args: Any) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        return int(await conn.fetchval(query, *args))
    finally:
        await conn.close()


def storm(url: str, secadmin_password: str, intake_dsn: str, assets_dsn: str) -> dict[str, Any]:
    client = httpx.Client(base_url=url, timeout=120)
    login = client.post("/api/auth/login", json={"username": "secadmin", "password": secadmin_password})
    key = client.post(
        "/api/admin/api-keys",
        headers={"Authorization": f"Bearer {login.json()['access_token']}"},
        json={"name": "bench-alertmanager", "scopes": ["monitoring:write"]},
    ).json()["key"]
    headers = {"Authorization": f"Bearer {key}"}
    group = uuid.uuid4().hex[:8]
    body = _notification(STORM, datetime.now(UTC) - timedelta(minutes=1), group)
    started = time.perf_counter()
    first = client.post("/api/monitoring/alertmanager", json=body, headers=headers)
    recorded_s = time.perf_counter() - started
    assert first.status_code == 200, first.text[:300]
    started = time.perf_counter()
    resent = client.post("/api/monitoring/alertmanager", json=body, headers=headers)
    resend_s = time.perf_counter() - started
    pattern = f"{group}-%"
    alerts = asyncio.run(_count(assets_dsn, "SELECT count(*) FROM monitoring_alert WHERE fingerprint LIKE $1", pattern))
    started = time.perf_counter()
    deadline = started + 300
    on_tickets = 0
    while time.perf_counter() < deadline:
        on_tickets = asyncio.run(
            _count(intake_dsn, "SELECT count(*) FROM alert_ticket WHERE fingerprint LIKE $1", pattern)
        )
        if on_tickets >= STORM:
            break
        time.sleep(0.2)
    ticketed_s = time.perf_counter() - started + recorded_s
    tickets = asyncio.run(
        _count(intake_dsn, "SELECT count(DISTINCT ticket_id) FROM alert_ticket WHERE fingerprint LIKE $1", pattern)
    )
    return {
        "alerts": STORM,
        "recorded_s": recorded_s,  # the POST answered: every alert and its event committed
        "resend_s": resend_s,
        "changes": first.json()["changes"],
        "resend_changes": resent.json()["changes"],
        "recorded": alerts,
        "doubled": alerts - STORM,
        "on_tickets": on_tickets,
        "tickets": tickets,
        "all_on_tickets_s": ticketed_s,
        "alerts_per_s_to_tickets": on_tickets / ticketed_s if ticketed_s else 0.0,
    }


_DEVICES = """
INSERT INTO asset_dim (asset_id, tag, asset_class, security_zone, owning_system, unit_id, status, applied_version)
SELECT gen_random_uuid(), 'BENCH-DEV-' || g,
    (ARRAY['switch','server','card_printer','id_card_reader','terminal_pc','ups'])[1 + g % 6],
    '公安信息网', '居住证信息系统', ($1::uuid[])[1 + g % cardinality($1::uuid[])], 'in_service', 1
FROM generate_series(1, $2) g
"""
_OUTAGES = """
INSERT INTO device_outage (alert_id, started_at, ended_at, asset_id, asset_tag, asset_class, unit_id, alertname)
SELECT gen_random_uuid(), s, s + (60 + random() * 7200) * interval '1 second', a.asset_id, a.tag, a.asset_class,
    a.unit_id, 'DeviceDown'
FROM asset_dim a, LATERAL (SELECT now() - random() * interval '365 days' AS s FROM generate_series(1, $1)) o
WHERE a.tag LIKE 'BENCH-DEV-%'
"""


async def _fill(dsn: str) -> dict[str, float]:
    conn = await asyncpg.connect(dsn)
    try:
        started = time.perf_counter()
        root = await conn.fetchval("SELECT gen_random_uuid()")
        await conn.execute(
            "INSERT INTO unit_dim (unit_id, code, name, kind, path) VALUES ($1, 'BENCH-AV', '基准市局', 'bureau', "
            "ARRAY[$1::uuid])",
            root,
        )
        units = [root]
        for i in range(50):
            unit = await conn.fetchval("SELECT gen_random_uuid()")
            await conn.execute(
                "INSERT INTO unit_dim (unit_id, code, name, kind, path) VALUES ($1, $2, $3, 'police_station', $4)",
                unit,
                f"BENCH-AV-{i}",
                f"基准派出所{i}",
                [root, unit],
            )
            units.append(unit)
        await conn.execute(_DEVICES, units, DEVICES)
        await conn.execute(_OUTAGES, OUTAGES_PER_DEVICE)
        await conn.execute("ANALYZE asset_dim")
        await conn.execute("ANALYZE device_outage")
        return {"generate_s": time.perf_counter() - started}
    finally:
        await conn.close()


def availability(
    reporting_dsn: str, url: str, supervisor_password: str, summary: Callable[[list[float]], dict[str, float]]
) -> dict[str, Any]:
    result: dict[str, Any] = {
        "devices": DEVICES,
        "outages": DEVICES * OUTAGES_PER_DEVICE,
        **asyncio.run(_fill(reporting_dsn)),
    }
    client = httpx.Client(base_url=url, timeout=120)
    login = client.post("/api/auth/login", json={"username": "supervisor", "password": supervisor_password})
    client.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
    today = date.today()
    year = {"from": (today - timedelta(days=364)).isoformat(), "to": today.isoformat()}
    samples = []
    for i in range(32):
        started = time.perf_counter()
        answer = client.get("/api/reports/availability", params=year)
        if i >= 2:  # two warm-ups
            samples.append(time.perf_counter() - started)
        assert answer.status_code == 200, answer.text[:300]
    result["report_year"] = summary(samples)
    return result
