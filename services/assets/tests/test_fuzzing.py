"""Property-based fuzzing of the assets API (schemathesis over its own OpenAPI), served by `python -m assets
api` as in production, as each role and as nobody: whatever the input, no 5xx, every error problem+json."""

import os
import socket
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import Case
from schemathesis.core.result import Err

from opsdesk_shared.testing.plugin import RunEnvironment
from opsdesk_shared.testing.workers import eventually

EXAMPLES = int(os.environ.get("OPSDESK_FUZZ_EXAMPLES", "5"))


@pytest.fixture(scope="module")
def assets_api(migrated: RunEnvironment, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = (tmp_path_factory.mktemp("assets-api") / "api.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "assets", "api", "--port", str(port)],
        env={**os.environ, **migrated.env()},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        try:
            return httpx.get(f"{url}/readyz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        import asyncio

        asyncio.run(eventually(ready, timeout=60))
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=15)
        log.close()


def test_no_input_gets_a_server_error_and_every_error_is_a_problem(assets_api: str, migrated: RunEnvironment) -> None:
    identities = {
        role: {"Authorization": f"Bearer {migrated.token(role)}"}
        for role in ("admin", "dispatcher", "engineer", "supervisor", "project_manager", "requester")
    } | {"anonymous": {}}
    api = schemathesis.openapi.from_url(f"{assets_api}/openapi.json")
    failures: list[str] = []
    operations = 0
    for result in api.get_all_operations():
        if isinstance(result, Err):  # the schema itself could not be read
            raise result.err()
        operation = result.ok()
        operations += 1

        @given(operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case: Case) -> None:
            for who, headers in identities.items():
                response = case.call(headers=headers)
                where = f"{who}: {case.method} {response.request.url}"
                assert response.status_code < 500, f"{where} -> {response.status_code} {response.text[:300]}"
                if response.status_code >= 400:
                    header = response.headers.get("content-type") or [""]
                    content_type = header[0] if isinstance(header, list) else header
                    assert content_type.startswith("application/problem+json"), f"{where} -> {content_type}"

        try:
            check()
        except AssertionError as exc:
            failures.append(str(exc).splitlines()[0][:400])
    assert operations >= 10
    assert not failures, "\n".join(failures)
