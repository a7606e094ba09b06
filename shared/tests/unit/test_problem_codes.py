"""Every problem carries a stable machine code; validation problems list each field with its code and the
figures its message needs, from one catalogue of pydantic's error types (not per endpoint)."""

from decimal import Decimal
from typing import Annotated

import httpx
from fastapi import FastAPI
from pydantic import BaseModel, Field

from opsdesk_shared.errors import RuleViolation, install_error_handlers


class Part(BaseModel):
    name: Annotated[str, Field(max_length=5)]
    unit_cost: Annotated[Decimal, Field(ge=0)]


class Resolve(BaseModel):
    summary: str
    parts: list[Part] = []


def _app() -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/resolve")
    async def resolve(body: Resolve) -> dict[str, str]:
        return {"ok": "yes"}

    @app.post("/rule")
    async def rule() -> None:
        raise RuleViolation(
            "tickets can be reopened within 7 days",
            field="reason",
            code="ticket.reopen_window_passed",
            params={"days": 7},
        )

    return app


async def _post(path: str, body: object) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=_app()), base_url="http://t") as client:
        return await client.post(path, json=body)


async def test_validation_errors_name_each_field_with_a_code_and_its_figures() -> None:
    answer = await _post("/resolve", {"parts": [{"name": "硬盘控制器板卡", "unit_cost": "1,200"}], "extra": 1})
    problem = answer.json()
    assert answer.status_code == 422 and answer.headers["content-type"] == "application/problem+json"
    by_field = {e["field"]: e for e in problem["errors"]}
    assert by_field["summary"]["code"] == "validation.required"
    assert by_field["parts.0.unit_cost"]["code"] == "validation.not_a_number"
    assert by_field["parts.0.name"]["code"] == "validation.too_long"
    assert by_field["parts.0.name"]["params"] == {"max_length": 5}
    assert problem["code"] == problem["errors"][0]["code"]
    # What API clients read stays as it was.
    assert problem["title"] == "Invalid request" and problem["detail"].startswith("summary: ")


async def test_a_list_where_pydantic_wants_one_and_a_negative_cost_have_codes() -> None:
    problem = (await _post("/resolve", {"summary": "x", "parts": "none"})).json()
    assert problem["errors"][0] == {**problem["errors"][0], "field": "parts", "code": "validation.not_a_list"}
    problem = (await _post("/resolve", {"summary": "x", "parts": [{"name": "a", "unit_cost": -1}]})).json()
    assert problem["errors"][0]["code"] == "validation.too_small" and problem["errors"][0]["params"] == {"ge": "0"}


async def test_a_rule_carries_its_code_and_params_beside_title_and_detail() -> None:
    problem = (await _post("/rule", {})).json()
    assert problem["code"] == "ticket.reopen_window_passed" and problem["params"] == {"days": 7}
    assert problem["field"] == "reason" and problem["title"] == "Rule violated"
    assert problem["detail"] == "tickets can be reopened within 7 days"


async def test_an_unknown_route_and_a_class_default() -> None:
    assert (await _post("/nowhere", {})).json()["code"] == "route.not_found"
    assert RuleViolation("x").code == "rule_violated"
