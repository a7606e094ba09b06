"""The Zabbix media type (deploy/monitoring/zabbix/opsdesk-webhook.js), run by Node as Zabbix runs it: what
it sends for a problem and its recovery is what OpsDesk's generic webhook accepts, keyed by the problem."""

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from assets.monitoring.schemas import GenericEvent

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "deploy/monitoring/zabbix/opsdesk-webhook.js"
HARNESS = Path(__file__).with_name("zabbix_media_type_harness.js")
PARAMS = {
    "opsdesk_url": "https://opsdesk.example/api/monitoring/events",
    "api_key": "odk_example",
    "event_id": "40321",
    "severity": "Disaster",
    "summary": "制证机离线",
    "details": "ICMP ping 无响应",
    "asset_tag": "JZZ-CY-0042",
    "event_date": "2026.12.07",
    "event_time": "10:00:00",
    "recovery_date": "{EVENT.RECOVERY.DATE}",
    "recovery_time": "{EVENT.RECOVERY.TIME}",
    "utc_offset": "+08:00",
    "availability": "true",
}


def run(params: dict[str, str]) -> dict[str, Any]:
    node = shutil.which("node")
    assert node, "node is missing (the web UI's build needs it too)"
    done = subprocess.run(
        [node, str(HARNESS), str(SCRIPT), json.dumps(params)], capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 0, done.stderr
    [sent] = json.loads(done.stdout)["sent"]
    assert sent["url"] == params["opsdesk_url"]
    assert f"Authorization: Bearer {params['api_key']}" in sent["headers"]
    return dict(sent["body"])


@pytest.mark.parametrize("value", ["1", "0"])
def test_a_problem_and_its_recovery_are_one_alert_opsdesk_accepts(value: str) -> None:
    params = {**PARAMS, "event_value": value}
    if value == "0":
        params.update(recovery_date="2026.12.07", recovery_time="10:42:00")
    event = GenericEvent.model_validate(run(params))
    assert (event.source, event.key, event.asset_tag, event.availability) == ("zabbix", "40321", "JZZ-CY-0042", True)
    assert event.status == ("firing" if value == "1" else "resolved")
    assert event.started_at is not None and event.started_at.isoformat() == "2026-12-07T10:00:00+08:00"
    assert event.time.isoformat() == ("2026-12-07T10:00:00+08:00" if value == "1" else "2026-12-07T10:42:00+08:00")


def test_macros_zabbix_could_not_resolve_are_left_out() -> None:
    body = run({**PARAMS, "event_value": "1", "asset_tag": "{EVENT.TAGS.asset_tag}", "details": "{ALERT.MESSAGE}"})
    event = GenericEvent.model_validate(body)
    assert event.asset_tag is None and event.details is None
