"""The whole system as real processes, for end-to-end tests: the same process list `make run` starts,
on free ports, against this run's databases and vhost."""

import json
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from devstack.stack import DEFAULT_PORTS, processes, stack_env
from gateway.config import GatewaySettings
from opsdesk_shared.testing.plugin import RunEnvironment

from gateway import bootstrap

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Stack:
    url: str
    sink_url: str
    credentials: dict[str, str]
    log_dir: Path

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=10)

    def token(self, username: str) -> str:
        resp = httpx.post(
            f"{self.url}/api/auth/login",
            json={"username": username, "password": self.credentials[username]},
            timeout=10,
        )
        resp.raise_for_status()
        return str(resp.json()["access_token"])

    def logs(self) -> str:
        return "".join(p.read_text(errors="replace") for p in sorted(self.log_dir.glob("*.log")))


@pytest.fixture(scope="session")
def stack(migrated: RunEnvironment, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    import asyncio

    log_dir = tmp_path_factory.mktemp("stack-logs")
    credentials_file = log_dir / "credentials.json"
    base = {k: v for k, v in os.environ.items() if not k.startswith(("OPSDESK_", "TWILIO_"))}
    env = stack_env({**base, **migrated.env()}, root=ROOT, ports={name: free_port() for name in DEFAULT_PORTS})
    asyncio.run(
        bootstrap.run(
            migrated.settings(GatewaySettings, jwt_private_key_file=migrated.private_key_file),
            demo=True,
            credentials_file=credentials_file,
        )
    )
    running = []
    for process in processes(env):
        log = open(log_dir / f"{process.name}.log", "w")  # noqa: SIM115 (closed with the process)
        running.append((subprocess.Popen(process.argv, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT), log))
    url = env["OPSDESK_PUBLIC_URL"]
    stack = Stack(url, env["TWILIO_API_BASE_URL"], json.loads(credentials_file.read_text()), log_dir)
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"{url}/api/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            dead = [p.args for p, _ in running if p.poll() is not None]
            if dead or time.monotonic() > deadline:
                pytest.fail(f"the stack did not become ready (exited: {dead}); logs:\n{stack.logs()[-5000:]}")
            time.sleep(0.3)
        yield stack
    finally:
        for proc, _ in running:
            proc.terminate()
        for proc, log in running:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
            log.close()
