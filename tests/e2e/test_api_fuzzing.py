"""Property-based fuzzing of the whole public API (schemathesis over the gateway's merged OpenAPI), as
every role and as nobody: whatever the input, no 5xx, and every error is problem+json with a machine
`code` the web UI has words for (each validation error too, with its field).

The short form CI runs: a few examples per operation. The everyday roles are fuzzed among the other
end-to-end tests; the administrative ones (admin, security admin, auditor) last of all, since their random
writes (SLA policies, SMS templates, units, keys) change settings the other tests rely on.
For a longer run: OPSDESK_FUZZ_EXAMPLES=50.
"""

import os
import uuid

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import Case
from schemathesis.core.result import Err

from gateway.web.i18n.errors import MESSAGES
from tests.conftest import STACK_ADMIN, Stack

EXAMPLES = int(os.environ.get("OPSDESK_FUZZ_EXAMPLES", "3"))
ROLES = ("supervisor", "operator", "dispatcher", "engineer", "requester")


def test_no_input_gets_a_server_error_and_every_error_is_a_problem(stack: Stack) -> None:
    identities = {role: {"Authorization": f"Bearer {stack.token(role)}"} for role in ROLES} | {"anonymous": {}}
    fuzz(stack, identities)


@pytest.mark.administration_fuzz
def test_administrators_inputs_get_no_server_error_either(stack: Stack) -> None:
    identities = {
        "admin": {"Authorization": f"Bearer {single_role_admin(stack)}"},
        "security_admin": {"Authorization": f"Bearer {stack.token('secadmin')}"},
        "auditor": {"Authorization": f"Bearer {stack.token('auditor')}"},
    }
    fuzz(stack, identities)


def single_role_admin(stack: Stack) -> str:
    """An account with `admin` alone (the bootstrap one also holds security_admin)."""
    username, password = f"fuzz-admin-{uuid.uuid4().hex[:6]}", "Fuzz-admin-9z"
    made = httpx.post(
        f"{stack.url}/api/admin/users",
        headers={"Authorization": f"Bearer {stack.token(STACK_ADMIN)}"},
        json={"username": username, "password": password, "display_name": "模糊测试", "roles": ["admin"]},
        timeout=10,
    )
    assert made.status_code == 201, made.text
    login = httpx.post(f"{stack.url}/api/auth/login", json={"username": username, "password": password}, timeout=10)
    return str(login.json()["access_token"])


def fuzz(stack: Stack, identities: dict[str, dict[str, str]]) -> None:
    api = schemathesis.openapi.from_url(f"{stack.url}/api/openapi.json")
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
                    header = response.headers.get("content-type") or [""]  # header values come as lists
                    content_type = header[0] if isinstance(header, list) else header
                    assert content_type.startswith("application/problem+json"), f"{where} -> {content_type}"
                    problem = response.json()
                    codes = [problem.get("code"), *(e.get("code") for e in problem.get("errors") or [])]
                    assert all(code in MESSAGES for code in codes), f"{where} -> unworded code in {codes}"
                    assert all(e.get("field") is not None for e in problem.get("errors") or []), where

        try:
            check()
        except AssertionError as exc:
            failures.append(str(exc).splitlines()[0][:400])
    assert operations > 80, "the merged OpenAPI lost operations"
    assert not failures, "\n".join(failures)
