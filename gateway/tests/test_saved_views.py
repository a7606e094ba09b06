"""Saved views of the staff's ticket list: kept per person on the server, a name saved again updates the
view, nobody reads or removes another person's, and what is kept is a plain query string."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import httpx

if TYPE_CHECKING:  # pytest imports the conftest; its classes serve here as annotations only
    from tests.conftest import LoginAs


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_saved_views_are_each_persons_own(
    client: httpx.AsyncClient, make_user: Callable[..., Awaitable[str]], login_as: LoginAs
) -> None:
    mine = bearer(await login_as(await make_user(["supervisor"]), "Right-passw0rd"))
    theirs = bearer(await login_as(await make_user(["dispatcher"]), "Right-passw0rd"))
    saved = await client.post(
        "/api/saved-views",
        headers=mine,
        json={"page": "tickets", "name": "朝阳P1", "query": "?priority=P1&unit_id=abc&q=&page=3"},
    )
    assert saved.status_code == 201, saved.text
    view = saved.json()
    assert view["query"] == "priority=P1&unit_id=abc"  # blanks and the page number are not part of a view
    again = await client.post(
        "/api/saved-views", headers=mine, json={"page": "tickets", "name": "朝阳P1", "query": "priority=P2"}
    )
    assert again.json()["id"] == view["id"] and again.json()["query"] == "priority=P2"
    listed = (await client.get("/api/saved-views", headers=mine, params={"page": "tickets"})).json()
    assert [(v["name"], v["query"]) for v in listed] == [("朝阳P1", "priority=P2")]
    assert (await client.get("/api/saved-views", headers=theirs)).json() == []
    assert (await client.delete(f"/api/saved-views/{view['id']}", headers=theirs)).status_code == 404
    refused = await client.post("/api/saved-views", headers=mine, json={"page": "tickets", "name": " ", "query": ""})
    assert refused.status_code == 422
    assert (await client.delete(f"/api/saved-views/{view['id']}", headers=mine)).status_code == 204
    assert (await client.get("/api/saved-views", headers=mine)).json() == []
