"""Which credential of a request is an API key (edge.presented_api_key): X-API-Key alone, or a bearer that is a
key; an access token is never taken for a key, nor a key for an access token."""

import pytest
from starlette.requests import Request

from gateway.edge import presented_api_key

pytestmark = pytest.mark.unit

KEY = "odk_Zm9vYmFyYmF6"
JWT = "eyJhbGciOiJFUzI1NiJ9.e30.sig"


def _request(headers: dict[str, str]) -> Request:
    raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    return Request({"type": "http", "method": "POST", "path": "/api/x", "headers": raw})


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, None),
        ({"X-API-Key": KEY}, KEY),
        ({"Authorization": f"Bearer {KEY}"}, KEY),
        ({"Authorization": f"bearer  {KEY} "}, KEY),
        ({"Authorization": f"Bearer {JWT}"}, None),
        # With an access token present, X-API-Key is not consulted (as before bearer keys existed).
        ({"Authorization": f"Bearer {JWT}", "X-API-Key": KEY}, None),
        ({"Authorization": f"Basic {KEY}"}, None),
        ({"X-API-Key": ""}, None),
    ],
)
def test_presented_api_key(headers: dict[str, str], expected: str | None) -> None:
    assert presented_api_key(_request(headers)) == expected
