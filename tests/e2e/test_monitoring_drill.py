"""Monitoring with the real programs: a device watched by the blackbox exporter goes down, Prometheus fires
DeviceDown (deploy/monitoring's rule), Alertmanager posts it to OpsDesk with its API key as the bearer, the
alert opens a ticket for the device's asset; the device comes back, the recovery is a line on the ticket,
and the outage's minutes are in the availability report."""

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import STACK_ADMIN, Stack
from tests.e2e.monitoring_programs import Device, drill_ports, monitoring_programs, write_configs
from tests.e2e.test_walking_skeleton import wait_for

pytestmark = [pytest.mark.drill, pytest.mark.timeout(300)]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_device_going_down_and_back_is_an_alert_its_recovery_and_minutes_of_outage(
    stack: Stack, tmp_path: Path
) -> None:
    client = stack.client()
    admin, engineer = bearer(stack.token(STACK_ADMIN)), bearer(stack.token("engineer"))
    unit_id = client.get("/api/auth/me", headers=bearer(stack.token("requester"))).json()["unit_id"]
    tag = f"JZZ-MON-{uuid.uuid4().hex[:5].upper()}"
    asset = client.post(
        "/api/assets",
        headers=admin,
        json={
            "tag": tag,
            "asset_class": "application_system",
            "name": "居住证受理系统",
            "security_zone": "公安信息网",
            "owning_system": "居住证信息系统",
            "unit_id": unit_id,
            "site": "市局机房",
        },
    )
    assert asset.status_code == 201, asset.text
    key = client.post(
        "/api/admin/api-keys",
        headers=bearer(stack.token("secadmin")),
        json={"name": f"alertmanager-{tag}", "scopes": ["monitoring:write"]},
    ).json()["key"]

    with Device() as device:
        fact = client.post(
            f"/api/assets/{asset.json()['id']}/technical",
            headers=engineer,
            json={"facts": {"monitoring.target": device.url}, "reason": "纳入监控"},
        )
        assert fact.status_code == 200, fact.text
        targets = client.get("/api/monitoring/targets", headers=bearer(key)).json()
        mine = [t for t in targets if t["labels"]["asset_tag"] == tag]
        assert mine and mine[0]["targets"] == [device.url]
        ports = drill_ports()
        write_configs(
            tmp_path, webhook_url=f"{stack.url}/api/monitoring/alertmanager", api_key=key, targets=mine, ports=ports
        )
        with monitoring_programs(tmp_path, ports):
            down_at = datetime.now(UTC)
            device.on = False
            firing = wait_for(
                "the device's alert, through Prometheus and Alertmanager",
                lambda: _alert(stack, tag, "firing"),
                timeout=90,
            )
            assert firing["labels"]["alertname"] == "DeviceDown" and firing["availability"] is True
            assert firing["asset_id"] == asset.json()["id"] and firing["opens_ticket"] is True
            ticket = wait_for("the device's ticket", lambda: _ticket(stack, tag), timeout=30)
            assert (ticket["channel"], ticket["asset_id"], ticket["unit_id"]) == (
                "monitoring",
                asset.json()["id"],
                unit_id,
            )
            device.on = True
            resolved = wait_for("the recovery", lambda: _alert(stack, tag, "resolved"), timeout=90)
        assert resolved["fingerprint"] == firing["fingerprint"]
        # The default rule leaves the ticket for an engineer: the recovery is a line on it.
        recovered = wait_for(
            "the recovery on the ticket", lambda: _timeline_has(stack, ticket["id"], "alert_recovered")
        )
        assert recovered["detail"]["fingerprint"] == firing["fingerprint"]

    today = (down_at + timedelta(hours=8)).date().isoformat()

    def outage() -> dict[str, Any] | None:
        report = client.get(
            "/api/reports/availability",
            headers=bearer(stack.token("supervisor")),
            params={"from": today, "to": today, "unit_id": unit_id},
        ).json()
        return next((d for d in report.get("devices", []) if d["asset_tag"] == tag), None)

    device_row = wait_for("the outage in the availability report", outage, timeout=30)
    assert device_row["outages"] == 1 and 0 < device_row["down_s"] < 120


def _ticket(stack: Stack, tag: str) -> dict[str, Any] | None:
    found = (
        stack.client()
        .get("/api/tickets", headers=bearer(stack.token("dispatcher")), params={"q": tag, "channel": "monitoring"})
        .json()
    )
    return next((t for t in found.get("items", []) if t["asset_tag"] == tag), None)


def _timeline_has(stack: Stack, ticket_id: str, kind: str) -> dict[str, Any] | None:
    ticket = stack.client().get(f"/api/tickets/{ticket_id}", headers=bearer(stack.token("dispatcher"))).json()
    return next((e for e in ticket["timeline"] if e["kind"] == kind), None)


def _alert(stack: Stack, tag: str, status: str) -> dict[str, Any] | None:
    alerts = (
        stack.client()
        .get("/api/monitoring/alerts", headers=bearer(stack.token("dispatcher")), params={"status": status})
        .json()
    )
    return next((a for a in alerts if a["asset_tag"] == tag), None)
