"""The Twilio-compatible sink itself: its status callbacks share one HTTP session (it made and dropped a
new one per callback, each logged as an unclosed session), and its page shows message bodies as text."""

import asyncio
import gc
import logging
import socket
import time
from collections.abc import AsyncIterator

import httpx
import pytest
import uvicorn

from twilio_sink.app import SinkConfig, create_app

ACCOUNT_SID = "AC" + "2" * 32
AUTH_TOKEN = "sink-test-token"


@pytest.fixture(scope="module")
async def sink_url() -> AsyncIterator[str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = SinkConfig(auth_token=AUTH_TOKEN, account_sid=ACCOUNT_SID, callback_delays_s=(0.01, 0.02))
    server = uvicorn.Server(
        uvicorn.Config(create_app(config), host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 (uvicorn offers no start event)
        await asyncio.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await task


async def send(client: httpx.AsyncClient, url: str, body: str, callback: str | None = None) -> httpx.Response:
    form = {"To": "+8613700001111", "From": "+15005550006", "Body": body}
    if callback:
        form["StatusCallback"] = callback
    return await client.post(
        f"{url}/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json", data=form, auth=(ACCOUNT_SID, AUTH_TOKEN)
    )


async def test_status_callbacks_share_one_session(sink_url: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR, logger="asyncio")
    async with httpx.AsyncClient() as client:
        await client.delete(f"{sink_url}/_sink/messages")
        for n in range(5):
            # Answered 404 by the sink itself: any answer shows the callback went out.
            assert (await send(client, sink_url, f"消息{n}", callback=f"{sink_url}/callback")).status_code == 201
        deadline = time.monotonic() + 10
        while len((await client.get(f"{sink_url}/_sink/messages")).json()["callbacks"]) < 10:
            assert time.monotonic() < deadline, "the sink did not post its status callbacks"
            await asyncio.sleep(0.05)
        callbacks = (await client.get(f"{sink_url}/_sink/messages")).json()["callbacks"]
    gc.collect()
    assert sorted(c["status"] for c in callbacks) == ["delivered"] * 5 + ["sent"] * 5
    assert all(c["answer"] == 404 for c in callbacks)
    assert "Unclosed client session" not in caplog.text


async def test_the_page_shows_bodies_as_text(sink_url: str) -> None:
    async with httpx.AsyncClient() as client:
        assert (await send(client, sink_url, "<script>alert(1)</script>")).status_code == 201
        page = (await client.get(f"{sink_url}/")).text
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


async def test_a_queued_message_has_a_creation_date_and_no_sent_date_like_twilio(sink_url: str) -> None:
    """Twilio sets `date_sent` only once a message has left its queue; a message it still holds has
    `date_created` alone, and the list's only date filter (`DateSent`) passes it by."""
    to = "+8613700002222"
    messages = f"{sink_url}/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    async with httpx.AsyncClient() as client:
        await client.post(f"{sink_url}/_sink/faults", json={"mode": "hold", "count": 1, "to": to})
        form = {"To": to, "From": "+15005550006", "Body": "排队中"}
        held = await client.post(messages, data=form, auth=(ACCOUNT_SID, AUTH_TOKEN))
        assert held.status_code == 201 and held.json()["status"] == "queued"
        assert held.json()["date_created"] and held.json()["date_sent"] is None
        listed = await client.get(messages, params={"To": to}, auth=(ACCOUNT_SID, AUTH_TOKEN))
        [queued] = listed.json()["messages"]
        assert queued["sid"] == held.json()["sid"] and queued["date_sent"] is None
        since = {"To": to, "DateSent>": "2000-01-01T00:00:00Z"}
        assert (await client.get(messages, params=since, auth=(ACCOUNT_SID, AUTH_TOKEN))).json()["messages"] == []

        sent = await client.post(messages, data={**form, "Body": "已发出"}, auth=(ACCOUNT_SID, AUTH_TOKEN))
        deadline = time.monotonic() + 10
        while True:  # its "sent" callback moves it out of the queue, with a sent date
            found = (await client.get(messages, params=since, auth=(ACCOUNT_SID, AUTH_TOKEN))).json()["messages"]
            if found:
                break
            assert time.monotonic() < deadline, "the sink never sent the second message"
            await asyncio.sleep(0.02)
        assert [m["sid"] for m in found] == [sent.json()["sid"]] and found[0]["date_sent"]
