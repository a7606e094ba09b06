"""The monitoring receiver (/api/monitoring): Alertmanager's webhook and the generic one, each change of an
alert announced once with the decisions of its rule, the ledger and the maintenance windows; resends change
nothing; bad payloads and callers are refused by field and rule."""

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from opsdesk_shared.testing.workers import EventTap, eventually

from .conftest import Ledger

T0 = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)
GO_ZERO_TIME = "0001-01-01T00:00:00Z"


def engine(ledger: Ledger, *scopes: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {ledger.env.token('system', scopes=list(scopes) or ['monitoring:write'])}"}


def alert(fingerprint: str, status: str = "firing", starts: datetime = T0, **labels: str) -> dict[str, Any]:
    return {
        "status": status,
        "labels": {"alertname": "DeviceDown", "severity": "critical", **labels},
        "annotations": {"summary": f"{labels.get('asset_tag', '设备')} 离线", "description": "ping 不通"},
        "startsAt": starts.isoformat(),
        "endsAt": (starts + timedelta(minutes=7)).isoformat() if status == "resolved" else GO_ZERO_TIME,
        "generatorURL": "http://prometheus:9090/graph?g0.expr=probe_success",
        "fingerprint": fingerprint,
    }


def notification(*alerts: dict[str, Any], group: str | None = None) -> dict[str, Any]:
    return {
        "version": "4",
        "groupKey": group or f'{{}}:{{alertname="DeviceDown", g="{uuid.uuid4().hex[:6]}"}}',
        "truncatedAlerts": 0,
        "status": "firing" if any(a["status"] == "firing" for a in alerts) else "resolved",
        "receiver": "opsdesk",
        "groupLabels": {"alertname": "DeviceDown"},
        "commonLabels": {},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager:9093",
        "alerts": list(alerts),
    }


def fp() -> str:
    return uuid.uuid4().hex[:16]


@pytest.fixture(autouse=True)
async def only_the_default_rule(ledger: Ledger) -> AsyncIterator[None]:
    """Each test starts from the seeded default rule alone: the service's fuzzing test (same database) adds
    rules of its own, any of which could take these alerts first."""
    rules = (await ledger.client.get("/api/monitoring/rules", headers=ledger.admin)).json()
    for rule in rules:
        if rule["position"] != 1000 or rule["matchers"]:
            await ledger.client.delete(f"/api/monitoring/rules/{rule['id']}", headers=ledger.admin)
    yield


async def test_an_alert_fires_once_resends_change_nothing_and_it_recovers_and_fires_again(ledger: Ledger) -> None:
    [unit] = await ledger.unit()
    switch = await ledger.register(unit, asset_class="switch", name="接入交换机")
    known, unknown = fp(), fp()
    body = notification(alert(known, asset_tag=switch["tag"]), alert(unknown, asset_tag="JZZ-NOT-IN-LEDGER"))
    async with EventTap(ledger.env.amqp_url, "monitoring.*") as tap:
        first = await ledger.client.post("/api/monitoring/alertmanager", json=body, headers=engine(ledger))
        assert first.status_code == 200, first.text
        assert first.json() == {"alerts": 2, "changes": 2, "repeats": 0, "stale": 0}
        again = await ledger.client.post("/api/monitoring/alertmanager", json=body, headers=engine(ledger))
        assert again.json() == {"alerts": 2, "changes": 0, "repeats": 2, "stale": 0}
        await eventually(lambda: len(tap.of("monitoring.alert_firing")) >= 2)

        [fired] = tap.of("monitoring.alert_firing", fingerprint=known)
        data = fired.data
        assert (data["asset_id"], data["asset_known"], data["unit_id"], data["unit_known"]) == (
            switch["id"],
            True,
            str(unit),
            True,
        )
        assert (data["priority"], data["opens_ticket"], data["summary"]) == ("P1", True, f"{switch['tag']} 离线")
        assert data["generator_url"].startswith("http://prometheus:9090/")
        [stranger] = tap.of("monitoring.alert_firing", fingerprint=unknown)
        # An unknown tag is never dropped: the ticket is opened, flagged, in the fallback unit.
        assert (stranger.data["asset_tag"], stranger.data["asset_known"], stranger.data["asset_id"]) == (
            "JZZ-NOT-IN-LEDGER",
            False,
            None,
        )
        assert stranger.data["unit_known"] is False and stranger.data["opens_ticket"] is True

        recovered = notification(alert(known, "resolved", asset_tag=switch["tag"]))
        for _ in range(2):  # the recovery resent: one event
            assert (
                await ledger.client.post("/api/monitoring/alertmanager", json=recovered, headers=engine(ledger))
            ).status_code == 200
        await eventually(lambda: tap.of("monitoring.alert_resolved", fingerprint=known))
        later = notification(alert(known, starts=T0 + timedelta(hours=1), asset_tag=switch["tag"]))
        assert (await ledger.client.post("/api/monitoring/alertmanager", json=later, headers=engine(ledger))).json()[
            "changes"
        ] == 1
        await eventually(lambda: len(tap.of("monitoring.alert_firing", fingerprint=known)) == 2)
    [resolved] = tap.of("monitoring.alert_resolved", fingerprint=known)
    assert resolved.data["ends_at"].startswith("2026-12-07T01:07:00")
    assert len(tap.of("monitoring.alert_firing", fingerprint=unknown)) == 1

    listed = await ledger.client.get("/api/monitoring/alerts", headers=ledger.as_("dispatcher"))
    mine = next(a for a in listed.json() if a["fingerprint"] == known)
    assert (mine["status"], mine["deliveries"]) == ("firing", 5)


async def test_a_storm_of_one_group_shares_the_ticket_of_its_first_alert(ledger: Ledger) -> None:
    [unit] = await ledger.unit()
    group = f'{{}}:{{alertname="DeviceDown", unit="{unit}"}}'
    a, b, c = fp(), fp(), fp()
    async with EventTap(ledger.env.amqp_url, "monitoring.alert_firing") as tap:
        body = notification(alert(a), alert(b), group=group)
        assert (
            await ledger.client.post("/api/monitoring/alertmanager", json=body, headers=engine(ledger))
        ).status_code == 200
        # The next notification of the group: the lead still firing keeps leading.
        more = notification(alert(a), alert(b), alert(c), group=group)
        assert (await ledger.client.post("/api/monitoring/alertmanager", json=more, headers=engine(ledger))).json()[
            "changes"
        ] == 1
        await eventually(lambda: len(tap.of("monitoring.alert_firing")) == 3)
    leads = {e.data["fingerprint"]: e.data["group_lead"] for e in tap.of("monitoring.alert_firing")}
    assert leads == {a: None, b: a, c: a}
    assert tap.of("monitoring.alert_firing")[0].data["fingerprint"] == a  # the lead's event goes first


async def test_maintenance_windows_and_rules_decide_which_alerts_open_tickets(ledger: Ledger) -> None:
    [unit] = await ledger.unit()
    server = await ledger.register(unit, asset_class="server", name="受理服务器")
    now = datetime.now(UTC)
    window = await ledger.client.post(
        "/api/monitoring/maintenance",
        json={
            "asset_tag": server["tag"],
            "starts_at": (now - timedelta(minutes=5)).isoformat(),
            "ends_at": (now + timedelta(hours=1)).isoformat(),
            "reason": "系统升级",
        },
        headers=ledger.as_("dispatcher"),
    )
    assert window.status_code == 201, window.text
    label = uuid.uuid4().hex[:8]
    rule = await ledger.client.post(
        "/api/monitoring/rules",
        json={
            "name": "信息级不开单",
            "position": 1,
            "matchers": [
                {"label": "team", "op": "=", "value": label},
                {"label": "severity", "op": "=~", "value": "info|none"},
            ],
            "opens_tickets": False,
        },
        headers=ledger.admin,
    )
    assert rule.status_code == 201, rule.text
    in_window, quiet, loud = fp(), fp(), fp()
    body = notification(
        alert(in_window, starts=now, asset_tag=server["tag"]),
        alert(quiet, starts=now, team=label, severity="info"),
        alert(loud, starts=now, team=label, severity="warning"),
    )
    async with EventTap(ledger.env.amqp_url, "monitoring.alert_firing") as tap:
        assert (
            await ledger.client.post("/api/monitoring/alertmanager", json=body, headers=engine(ledger))
        ).status_code == 200
        await eventually(lambda: len(tap.of("monitoring.alert_firing")) == 3)
    decided = {
        e.data["fingerprint"]: (e.data["opens_ticket"], e.data["in_maintenance"])
        for e in tap.of("monitoring.alert_firing")
    }
    assert decided == {in_window: (False, True), quiet: (False, False), loud: (True, False)}
    [loud_event] = tap.of("monitoring.alert_firing", fingerprint=loud)
    assert loud_event.data["priority"] == "P3"  # the default rule's severity mapping


async def test_the_generic_webhook_has_the_same_semantics(ledger: Ledger) -> None:
    key = f"zbx-{uuid.uuid4().hex[:8]}"
    event = {
        "source": "zabbix",
        "key": key,
        "status": "firing",
        "severity": "High",
        "asset_tag": "JZZ-ZBX-1",
        "summary": "磁盘空间不足",
        "details": "/data 98%",
        "time": "2026-12-07T02:00:00+08:00",
    }
    async with EventTap(ledger.env.amqp_url, "monitoring.*") as tap:
        for _ in range(2):
            answer = await ledger.client.post("/api/monitoring/events", json=event, headers=engine(ledger))
            assert answer.status_code == 200, answer.text
        ended = {**event, "status": "resolved", "time": "2026-12-07T02:30:00+08:00"}
        assert (await ledger.client.post("/api/monitoring/events", json=ended, headers=engine(ledger))).json()[
            "changes"
        ] == 1
        await eventually(lambda: tap.of("monitoring.alert_resolved", fingerprint=key))
    [fired] = tap.of("monitoring.alert_firing", fingerprint=key)
    assert (fired.data["source"], fired.data["priority"], fired.data["summary"]) == ("zabbix", "P2", "磁盘空间不足")
    [resolved] = tap.of("monitoring.alert_resolved", fingerprint=key)
    assert resolved.data["starts_at"].startswith("2026-12-06T18:00:00")  # the firing's, as recorded


async def test_bad_payloads_and_callers_are_refused_by_field(ledger: Ledger) -> None:
    url = "/api/monitoring/alertmanager"
    cases = [
        ({**notification(alert(fp())), "version": "3"}, "version"),
        (notification({k: v for k, v in alert(fp()).items() if k != "fingerprint"}), "alerts.0.fingerprint"),
        (notification({**alert(fp()), "status": "pending"}), "alerts.0.status"),
        ({**notification(alert(fp())), "alerts": []}, "alerts"),
    ]
    for body, field in cases:
        answer = await ledger.client.post(url, json=body, headers=engine(ledger))
        assert answer.status_code == 422 and answer.headers["content-type"].startswith("application/problem+json")
        assert answer.json()["errors"][0]["field"] == field, answer.json()
    body = notification(alert(fp()))
    assert (await ledger.client.post(url, json=body)).status_code == 401
    for headers in (ledger.admin, engine(ledger, "sms:send")):
        refused = await ledger.client.post(url, json=body, headers=headers)
        assert refused.status_code == 403 and refused.json()["code"] == "api_key.scope_missing"
    bad_rule = await ledger.client.post(
        "/api/monitoring/rules",
        json={"name": "坏规则", "position": 5, "matchers": [{"label": "job", "op": "=~", "value": "(unclosed"}]},
        headers=ledger.admin,
    )
    assert bad_rule.status_code == 422 and bad_rule.json()["errors"][0]["field"].startswith("matchers.0")
    not_admin = await ledger.client.post(
        "/api/monitoring/rules", json={"name": "x", "position": 5}, headers=ledger.as_("dispatcher")
    )
    assert not_admin.status_code == 403
    window = {"unit_id": str(uuid.uuid4()), "starts_at": T0.isoformat(), "ends_at": T0.isoformat(), "reason": "x"}
    assert (
        await ledger.client.post("/api/monitoring/maintenance", json=window, headers=ledger.admin)
    ).status_code == 422


async def test_the_ledger_gives_the_blackbox_exporter_its_targets(ledger: Ledger) -> None:
    [unit] = await ledger.unit()
    switch = await ledger.register(unit, asset_class="switch")
    portal = await ledger.register(unit, asset_class="application_system")
    engineer = ledger.as_("engineer")
    for asset, facts in (
        (switch, {"ip_address": "10.9.8.7"}),
        (portal, {"monitoring.target": "https://jzz.example/health"}),
    ):
        done = await ledger.client.post(
            f"/api/assets/{asset['id']}/technical", json={"facts": facts, "reason": "纳入监控"}, headers=engineer
        )
        assert done.status_code == 200, done.text
    targets = await ledger.client.get("/api/monitoring/targets", headers=engine(ledger))
    assert targets.status_code == 200
    by_tag = {t["labels"]["asset_tag"]: t for t in targets.json()}
    assert by_tag[switch["tag"]]["targets"] == ["10.9.8.7"] and by_tag[switch["tag"]]["labels"]["module"] == "icmp"
    assert by_tag[portal["tag"]]["labels"]["module"] == "http_2xx"
    assert (await ledger.client.get("/api/monitoring/targets", headers=engineer)).status_code == 403
