"""The 7×24 consoles (issue 19): the dispatch board lists the escalations that fired before anyone signed
in and a dispatcher acknowledges them; the hotline console locks at the idle limit instead of signing out,
counts the call that rings meanwhile, and unlocks in place with that call's screen pop."""

import asyncio
import re
import uuid
from concurrent.futures import ThreadPoolExecutor

import asyncpg
from playwright.sync_api import expect

from opsdesk_shared.testing.plugin import RunEnvironment
from tests.conftest import Stack
from tests.e2e.conftest import OpenDesk
from tests.e2e.test_walking_skeleton import file_ticket, wait_for
from tests.e2e.test_web_ui import bearer


def _in_dispatch_db(migrated: RunEnvironment, sql: str, *args: object) -> None:
    async def run() -> None:
        dsn = f"{migrated.servers.database_url}/{migrated.database_prefix}_dispatch"
        for attempt in range(20):  # the whole stack is running: PostgreSQL may be at its connection limit a moment
            try:
                conn = await asyncpg.connect(dsn)
                break
            except asyncpg.TooManyConnectionsError:
                if attempt == 19:
                    raise
                await asyncio.sleep(0.5)
        try:
            await conn.execute(sql, *args)
        finally:
            await conn.close()

    with ThreadPoolExecutor(1) as pool:  # Playwright's sync API holds this thread's event loop
        pool.submit(asyncio.run, run()).result()


def test_the_board_lists_a_breach_fired_before_sign_in_and_the_dispatcher_acknowledges_it(
    stack: Stack, desks: OpenDesk, migrated: RunEnvironment
) -> None:
    client = stack.client()
    dispatcher_headers = bearer(stack, "dispatcher")
    me = client.get("/api/auth/me", headers=bearer(stack, "requester")).json()
    ticket = file_ticket(client, stack.token("operator"), me["unit_id"], "13800138031", title="制证机卡纸无法出证")
    clocks = f"/api/sla/tickets/{ticket['id']}"
    wait_for("its clocks", lambda: client.get(clocks, headers=dispatcher_headers).is_success, timeout=60)
    # What time would do: the response target falls due now; the timer fires the breach (nobody is signed in).
    _in_dispatch_db(
        migrated,
        "UPDATE sla_clock SET due_at = now() - interval '1 second', warn_at = now() - interval '2 seconds',"
        " next_fire_at = now() - interval '1 second' WHERE ticket_id = $1 AND metric = 'response'",
        uuid.UUID(ticket["id"]),
    )

    def open_breach() -> dict | None:
        listed = client.get("/api/sla/escalations", headers=dispatcher_headers).json()
        return next((e for e in listed if e["ticket_id"] == ticket["id"] and e["kind"] == "breach"), None)

    breach = wait_for("the breach", open_breach, timeout=60)

    dispatcher = desks("dispatcher")
    dispatcher.login()
    item = dispatcher.page.locator(f"#escalation-{breach['id']}")
    expect(item).to_be_visible()
    expect(item).to_contain_text(ticket["number"])
    expect(item).to_contain_text("超时")
    dispatcher.shot("breach-listed-after-sign-in")
    item.locator("button", has_text="确认收到").click()
    expect(item).to_contain_text("已确认")
    expect(item.locator("button")).to_have_count(0)
    dispatcher.shot("breach-acknowledged")
    assert open_breach() is None  # off the open list, for every dispatcher
    dispatcher.page.reload()
    expect(dispatcher.page.locator("#escalations")).to_be_visible()
    expect(dispatcher.page.locator(f"#escalation-{breach['id']}")).to_have_count(0)
    client.post(f"/api/tickets/{ticket['id']}/cancel", headers=bearer(stack, "operator"), json={"reason": "测试结束"})


def test_the_idle_hotline_console_locks_counts_a_call_and_unlocks_with_its_screen_pop(
    stack: Stack, desks: OpenDesk
) -> None:
    client = stack.client()
    key = client.post(
        "/api/admin/api-keys",
        json={"name": f"pbx-lock-{uuid.uuid4().hex[:4]}", "scopes": ["cti:events"]},
        headers=bearer(stack, "secadmin"),
    ).json()["key"]
    operator = desks("operator")
    operator.page.clock.install()  # real time flows; the idle limit is reached by moving the page's clock
    operator.login()
    expect(operator.page).to_have_url(re.compile(r"/ui/hotline$"))
    expect(operator.page.locator("#screen-pop-panel[data-live=open]")).to_be_visible()

    operator.page.clock.fast_forward("16:00")  # 15 idle minutes (MLPS) and then some
    expect(operator.page).to_have_url(re.compile(r"/ui/lock\?next=%2Fui%2Fhotline$"))
    panel = operator.page.locator("#lock-panel")
    expect(panel).to_contain_text("控制台已锁定")
    expect(panel.locator("#lock-counts")).to_contain_text("0 个来电")
    expect(panel).to_have_attribute("data-calls-live", "open")
    assert operator.page.locator("#ticket-form, #screen-pop, #whoami").count() == 0  # nothing of the console
    operator.shot("locked")

    def ring() -> None:
        rang = client.post(
            "/api/cti/events",
            headers={"X-API-Key": key},
            json={
                "event": "ringing",
                "call_id": f"lock-{uuid.uuid4().hex[:8]}",
                "caller": "13800010002",
                "agent": "operator",
            },
        )
        assert rang.status_code == 202, rang.text

    ring()
    expect(panel.locator("#lock-counts")).to_contain_text("1 个来电")
    assert "13800010002" not in operator.page.content() and "138 0001 0002" not in operator.page.content()
    operator.shot("locked-one-call")

    panel.locator("[name=password]").fill("not-the-password")
    panel.locator("button[type=submit]").click()
    expect(operator.page.locator("#unlock-error")).to_contain_text("密码错误")
    expect(operator.page.locator("#lock-counts")).to_contain_text("1 个来电")  # the count survives the refusal
    operator.page.locator("#lock-panel [name=password]").fill(stack.credentials["operator"])
    operator.page.locator("#lock-panel button[type=submit]").click()
    expect(operator.page).to_have_url(re.compile(r"/ui/hotline\?pops="))
    expect(operator.page.locator("#rang-while-locked")).to_contain_text("1")
    pop = operator.page.locator("#screen-pop .pop")
    expect(pop).to_be_visible()
    expect(pop.locator(".pop-phone")).to_contain_text("138 0001 0002")
    expect(operator.page.locator("#screen-pop-panel[data-live=open]")).to_be_visible()
    operator.shot("unlocked-with-the-call")
