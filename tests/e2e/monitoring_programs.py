"""The real monitoring programs for the end-to-end drill (Debian's prometheus, prometheus-alertmanager and
prometheus-blackbox-exporter), started from deploy/monitoring's own files with the drill's addresses and
intervals of about a second (Alertmanager's defaults would hold a resolved notice for five minutes), and
a "device": an HTTP endpoint the test switches off and on."""

import json
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import yaml

from tests.conftest import free_port

MONITORING = Path(__file__).resolve().parents[2] / "deploy/monitoring"
FAST = "1s"


class Device:
    """Answers its health check with 200 while on, 503 while off (the blackbox http_2xx probe fails)."""

    def __init__(self) -> None:
        self.on = True
        device = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                self.send_response(200 if device.on else 503)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/health"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "Device":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class Programs:
    prometheus_url: str
    alertmanager_url: str
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)


def _binary(name: str) -> str:
    path = shutil.which(name)
    assert path, f"{name} is missing: `make setup` installs Debian's prometheus, alertmanager and blackbox exporter"
    return path


def _ready(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, f"{url} exited:\n{log.read_text(errors='replace')[-2000:]}"
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{url} not ready in {timeout} s:\n{log.read_text(errors='replace')[-2000:]}")


def write_configs(
    work: Path, *, webhook_url: str, api_key: str, targets: list[dict[str, Any]], ports: dict[str, int]
) -> None:
    """deploy/monitoring's files with the drill's addresses and intervals (their expressions, labels and
    routes unchanged: the drill tests what ships)."""
    (work / "targets").mkdir(parents=True, exist_ok=True)
    (work / "targets/devices.json").write_text(json.dumps(targets))
    (work / "rules").mkdir(exist_ok=True)
    devices = yaml.safe_load((MONITORING / "rules/devices.yml").read_text())
    for group in devices["groups"]:
        group["interval"] = FAST
        for rule in group["rules"]:
            rule["for"] = "0s"
    (work / "rules/devices.yml").write_text(yaml.safe_dump(devices, allow_unicode=True))

    prometheus = yaml.safe_load((MONITORING / "prometheus.yml").read_text())
    prometheus["global"].update(scrape_interval=FAST, evaluation_interval=FAST, scrape_timeout=FAST)
    prometheus["rule_files"] = ["rules/devices.yml"]
    prometheus["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"] = [f"127.0.0.1:{ports['alertmanager']}"]
    [job] = [j for j in prometheus["scrape_configs"] if j["job_name"] == "devices"]
    job["file_sd_configs"][0]["refresh_interval"] = FAST
    job["relabel_configs"][-1]["replacement"] = f"127.0.0.1:{ports['blackbox']}"
    prometheus["scrape_configs"] = [job]
    (work / "prometheus.yml").write_text(yaml.safe_dump(prometheus, allow_unicode=True))

    alertmanager = yaml.safe_load((MONITORING / "alertmanager.yml").read_text())
    alertmanager["route"].update(group_wait=FAST, group_interval=FAST, repeat_interval="1m")
    [hook] = alertmanager["receivers"][0]["webhook_configs"]
    hook["url"] = webhook_url
    (work / "opsdesk-api-key").write_text(api_key)
    hook["http_config"]["authorization"]["credentials_file"] = str(work / "opsdesk-api-key")
    (work / "alertmanager.yml").write_text(yaml.safe_dump(alertmanager, allow_unicode=True))
    shutil.copy(MONITORING / "blackbox.yml", work / "blackbox.yml")


@contextmanager
def monitoring_programs(work: Path, ports: dict[str, int]) -> Iterator[Programs]:
    programs = Programs(f"http://127.0.0.1:{ports['prometheus']}", f"http://127.0.0.1:{ports['alertmanager']}")
    commands = {
        "blackbox": (
            [
                _binary("prometheus-blackbox-exporter"),
                f"--config.file={work / 'blackbox.yml'}",
                f"--web.listen-address=127.0.0.1:{ports['blackbox']}",
            ],
            f"http://127.0.0.1:{ports['blackbox']}/-/healthy",
        ),
        "alertmanager": (
            [
                _binary("prometheus-alertmanager"),
                f"--config.file={work / 'alertmanager.yml'}",
                f"--storage.path={work / 'alertmanager-data'}",
                f"--web.listen-address=127.0.0.1:{ports['alertmanager']}",
                "--cluster.listen-address=",
            ],
            f"{programs.alertmanager_url}/-/ready",
        ),
        "prometheus": (
            [
                _binary("prometheus"),
                f"--config.file={work / 'prometheus.yml'}",
                f"--storage.tsdb.path={work / 'prometheus-data'}",
                f"--web.listen-address=127.0.0.1:{ports['prometheus']}",
            ],
            f"{programs.prometheus_url}/-/ready",
        ),
    }
    try:
        for name, (argv, ready_url) in commands.items():
            log = work / f"{name}.log"
            process = subprocess.Popen(argv, stdout=log.open("wb"), stderr=subprocess.STDOUT, cwd=work)
            programs.processes.append(process)
            _ready(ready_url, process, log)
        yield programs
    finally:
        for process in programs.processes:
            process.terminate()
        for process in programs.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def drill_ports() -> dict[str, int]:
    return {name: free_port() for name in ("prometheus", "alertmanager", "blackbox")}
