"""Property-based fuzzing of the whole public API (schemathesis over the gateway's merged OpenAPI), as
each everyday role and as nobody: whatever the input, no 5xx, and every error is problem+json.

The short form CI runs: a few examples per operation. Roles that administer users, units and keys are
left out here: their random writes would change the demo accounts the other end-to-end tests sign in as.
For a longer run: OPSDESK_FUZZ_EXAMPLES=50.
"""

import os

import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.conftest import Stack

EXAMPLES = int(os.environ.get("OPSDESK_FUZZ_EXAMPLES", "3"))
ROLES = ("supervisor", "operator", "dispatcher", "engineer", "requester")


def test_no_input_gets_a_server_error_and_every_error_is_a_problem(stack: Stack) -> None:
    identities = {role: {"Authorization": f"Bearer {stack.token(role)}"} for role in ROLES} | {"anonymous": {}}
    api = schemathesis.openapi.from_url(f"{stack.url}/api/openapi.json")
    failures: list[str] = []
    operations = 0
    for result in api.get_all_operations():
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
        def check(case) -> None:  # type: ignore[no-untyped-def]
            for who, headers in identities.items():
                response = case.call(headers=headers)
                where = f"{who}: {case.method} {response.request.url}"
                assert response.status_code < 500, f"{where} -> {response.status_code} {response.text[:300]}"
                if response.status_code >= 400:
                    content_type = response.headers.get("content-type") or [""]  # header values come as lists
                    content_type = content_type[0] if isinstance(content_type, list) else content_type
                    assert content_type.startswith("application/problem+json"), f"{where} -> {content_type}"

        try:
            check()
        except AssertionError as exc:
            failures.append(str(exc).splitlines()[0][:400])
    assert operations > 80, "the merged OpenAPI lost operations"
    assert not failures, "\n".join(failures)
