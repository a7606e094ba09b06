"""deploy/monitoring/ checked by the real programs' own tools (Debian's prometheus and alertmanager packages,
installed by `make setup`): the configurations load, every alert rule fires on the series it is written for
and not on healthy ones (promtool's rule tests), the rules only name metrics OpsDesk really exports, and
Prometheus scrapes every process docker compose runs."""

import re
import shutil
import subprocess
from pathlib import Path

import prometheus_client
import pytest
import yaml

# Imported for the metrics they register (the rules must name only these).
import dispatch.sla.timer
import notifications.messages.sender
import opsdesk_shared.messaging.connection
import opsdesk_shared.messaging.parking
import opsdesk_shared.messaging.relay
import opsdesk_shared.observability

MONITORING = Path(__file__).resolve().parents[2] / "deploy/monitoring"
ROOT = MONITORING.parents[1]
METRIC_MODULES = (
    dispatch.sla.timer,
    notifications.messages.sender,
    opsdesk_shared.messaging.connection,
    opsdesk_shared.messaging.parking,
    opsdesk_shared.messaging.relay,
    opsdesk_shared.observability,
)


def _tool(name: str) -> str:
    path = shutil.which(name)
    assert path, f"{name} is missing: `make setup` installs Debian's prometheus and prometheus-alertmanager"
    return path


def _run(*argv: str, cwd: Path = MONITORING) -> str:
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, f"{' '.join(argv)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def test_prometheus_configuration_and_rules_load() -> None:
    out = _run(_tool("promtool"), "check", "config", "prometheus.yml")
    assert "SUCCESS" in out


def test_every_alert_rule_fires_on_its_series_and_only_there() -> None:
    out = _run(_tool("promtool"), "test", "rules", "rules_test.yml", cwd=MONITORING / "rule-tests")
    assert "SUCCESS" in out


def test_every_alert_rule_has_a_rule_test() -> None:
    alerts = {
        rule["alert"]
        for path in (MONITORING / "rules").glob("*.yml")
        for group in yaml.safe_load(path.read_text())["groups"]
        for rule in group["rules"]
        if "alert" in rule
    }
    tested = {
        case["alertname"]
        for test in yaml.safe_load((MONITORING / "rule-tests/rules_test.yml").read_text())["tests"]
        for case in test.get("alert_rule_test", [])
    }
    assert alerts - tested == set()


def test_alertmanager_configuration_loads() -> None:
    out = _run(_tool("amtool"), "check-config", "alertmanager.yml")
    assert "SUCCESS" in out


def test_the_rules_name_only_metrics_opsdesk_exports() -> None:
    assert METRIC_MODULES  # imported for their registrations
    exported = {family.name for family in prometheus_client.REGISTRY.collect()}
    text = "\n".join(path.read_text() for path in (MONITORING / "rules").glob("*.yml"))
    named = {re.sub(r"_(total|bucket|count|sum)$", "", m) for m in re.findall(r"\bopsdesk_[a-z_]+", text)}
    assert named, "the rules name no OpsDesk metric"
    assert named - exported == set()


@pytest.mark.parametrize("kind", ["api", "worker"])
def test_prometheus_scrapes_every_process_compose_runs(kind: str) -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    processes = {name for name, spec in compose.items() if kind in " ".join(map(str, spec.get("command", [])))}
    config = yaml.safe_load((MONITORING / "prometheus.yml").read_text())
    [job] = [j for j in config["scrape_configs"] if j["job_name"] == f"opsdesk-{kind}"]
    scraped = {target.split(":")[0] for static in job["static_configs"] for target in static["targets"]}
    assert scraped == processes
