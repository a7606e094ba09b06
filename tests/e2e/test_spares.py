"""Spare parts (备品备件) on the real processes through the gateway: a part issued from stock to a work order
by its engineer takes the part below its minimum (`spares.stock_low` announced, the page marks it); the work
order resolved with fewer of that part used and another part used but never issued → the unused one back in
stock and the other flagged, on the API and on the dispatcher's `/ui/spares` page."""

import asyncio
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
from playwright.sync_api import expect

from opsdesk_shared.testing.workers import EventTap, eventually
from tests.conftest import Stack
from tests.e2e.conftest import OpenDesk
from tests.e2e.test_desk_field import _assigned
from tests.e2e.test_walking_skeleton import wait_for

MANAGER_PHONE = "+8613800010010"  # the demo project manager, `manager` (gateway bootstrap)


def _auth(stack: Stack, who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {stack.token(who)}"}


def _created(resp: httpx.Response) -> dict[str, Any]:
    assert resp.status_code == 201, resp.text
    return dict(resp.json())


def test_parts_issued_to_a_work_order_are_reconciled_when_it_is_resolved(stack: Stack, desks: OpenDesk) -> None:
    client = stack.client()
    desk, engineer = _auth(stack, "dispatcher"), _auth(stack, "engineer")
    suffix = uuid.uuid4().hex[:5].upper()
    disk = _created(
        client.post(
            "/api/spares/parts",
            json={"part_number": f"HD-E2E-{suffix}", "name": "600G SAS硬盘", "asset_classes": ["server"],
                  "unit_cost": "1200.00", "minimum_stock": 3},
            headers=desk,
        )
    )  # fmt: skip
    psu = _created(
        client.post(
            "/api/spares/parts",
            json={"part_number": f"PSU-E2E-{suffix}", "name": "550W服务器电源", "unit_cost": "300.00"},
            headers=desk,
        )
    )
    store = _created(
        client.post("/api/spares/stores", json={"code": f"E2E-{suffix}", "name": f"市局备件库{suffix}"}, headers=desk)
    )
    receipt = {"part_number": disk["part_number"], "store_id": store["id"], "quantity": 4, "reference": "送货单-E2E"}
    assert _created(client.post("/api/spares/receipts", json=receipt, headers=desk))["on_hand_after"] == 4

    ticket = _assigned(stack, client, title=f"服务器硬盘告警 {suffix}")
    [order] = client.get("/api/work-orders", params={"ticket_id": ticket["id"]}, headers=engineer).json()["items"]
    for step in ("accept", "arrive"):
        assert client.post(f"/api/work-orders/{order['id']}/{step}", json={}, headers=engineer).status_code == 200

    issue = {"part_number": disk["part_number"], "store_id": store["id"], "quantity": 3,
             "ticket_number": ticket["number"]}  # fmt: skip

    def try_issue() -> httpx.Response | None:
        # The work order reaches assets through dispatch's events: until then the issue is refused, saying so.
        answer = client.post("/api/spares/issues", json=issue, headers=engineer)
        return None if answer.status_code == 422 and answer.json()["code"] == "spares.unknown_work_order" else answer

    async def issue_and_hear_the_stock_low() -> tuple[httpx.Response, list[Any]]:
        async with EventTap(stack.env["OPSDESK_AMQP_URL"], "spares.stock_low") as tap:
            answer = wait_for("assets to know the work order", try_issue)
            heard = await eventually(lambda: tap.of("spares.stock_low", part_number=disk["part_number"]))
            return answer, heard

    # The dispatcher has the spares page open: the part's crossing shows there without a reload (in-app notice).
    dispatcher = desks("dispatcher")
    dispatcher.login()
    page = dispatcher.goto("/ui/spares")
    expect(page.locator("body")).to_have_attribute("data-live", "open")
    expect(page.locator(f"#stock-table tr[data-part='{disk['part_number']}']")).not_to_have_class("stock-low")
    dispatcher.mark_page()
    # In a thread of its own: the browser's driver keeps an event loop running in this one.
    with ThreadPoolExecutor(1) as thread:
        issued, [low] = thread.submit(asyncio.run, issue_and_hear_the_stock_low()).result()
    assert issued.status_code == 201, issued.text
    assert issued.json()["work_order_id"] == order["id"] and issued.json()["stock_low"] is True
    assert (low.data["on_hand"], low.data["minimum"]) == (1, 3)
    expect(page.locator(f"#low-stock [data-part='{disk['part_number']}']")).to_contain_text("现有 1，最低 3")
    assert dispatcher.not_reloaded()
    dispatcher.shot("stock-low-live")

    # The project manager's phone gets one SMS of it (notifications' `spares_stock_low` rule, at the Twilio sink).
    def texted_to_the_manager() -> list[str]:
        sent = httpx.get(f"{stack.sink_url}/_sink/messages", timeout=5).json()["messages"]
        return [m["body"] for m in sent if m["to"] == MANAGER_PHONE and disk["part_number"] in m["body"]]

    [sms] = wait_for("the project manager's SMS", texted_to_the_manager)
    assert f"600G SAS硬盘 {disk['part_number']}（市局备件库{suffix}）合计现有1，最低3" in sms
    too_many = client.post("/api/spares/issues", json={**issue, "quantity": 2}, headers=engineer)
    assert too_many.status_code == 422 and too_many.json()["field"] == "quantity"

    # The engineer resolves on the phone, giving the catalogue's numbers: two disks used of three issued, and a
    # power supply that never went through the store.
    phone = desks("engineer", phone=True)
    phone.login()
    phone.goto("/ui/engineer")
    phone.page.locator(f".orders li[data-ticket='{ticket['number']}'] a").click()
    form = phone.page.locator("#resolve-form")
    form.locator("[name=summary]").fill("更换故障硬盘和电源，阵列重建完成")
    rows = form.locator(".part-row")
    form.locator("#add-part").click()
    used = [
        (disk["part_number"].lower(), "600G SAS硬盘", "2", "1200.00"),
        (psu["part_number"], "550W服务器电源", "1", "300.00"),
    ]
    for n, (number, name, quantity, cost) in enumerate(used):
        rows.nth(n).locator("input[name^=part_name_]").fill(name)
        rows.nth(n).locator("input[name^=part_no_]").fill(number)
        rows.nth(n).locator("input[name^=part_qty_]").fill(quantity)
        rows.nth(n).locator("input[name^=part_cost_]").fill(cost)
    phone.shot("parts-with-numbers")
    form.locator("#resolve").click()
    expect(phone.page.locator("#order-status")).to_contain_text("已解决")

    def reconciled() -> dict[str, dict[str, Any]] | None:
        lines = client.get("/api/spares/reconciliations", params={"work_order_id": order["id"]}, headers=desk).json()
        return {line["part_number"]: line for line in lines} or None

    lines = wait_for("assets to reconcile the resolved work order", reconciled)
    disk_line, psu_line = lines[disk["part_number"]], lines[psu["part_number"]]
    assert (disk_line["issued"], disk_line["used"], disk_line["returned"], disk_line["flagged"]) == (3, 2, 1, False)
    assert (psu_line["outcome"], psu_line["unissued"], psu_line["flagged"]) == ("used_not_issued", 1, True)
    [held] = client.get("/api/spares/stock", params={"part_id": disk["id"]}, headers=desk).json()
    assert held["on_hand"] == 2 and held["low"] is True  # the unused one is back; still below the minimum of 3

    page = dispatcher.goto("/ui/spares")
    expect(page.locator("nav").first).to_contain_text("备品备件")
    expect(page.locator(f"#low-stock [data-part='{disk['part_number']}']")).to_contain_text("现有 2，最低 3")
    row = page.locator(f"#stock-table tr[data-part='{disk['part_number']}']")
    expect(row).to_have_class("stock-low")
    expect(row).to_contain_text("库存不足")
    flagged = page.locator(f"#flagged-reconciliations tr[data-work-order='{order['id']}']")
    expect(flagged).to_contain_text(psu["part_number"])
    expect(flagged).to_contain_text("使用但未领用")
    dispatcher.shot("spares")

    # Goods received through the page's form: the stock and the banner follow.
    form = page.locator("#receipt-form form").first
    form.locator("[name=part_number]").select_option(disk["part_number"])
    form.locator("[name=store_id]").select_option(store["id"])
    form.locator("[name=quantity]").fill("5")
    form.locator("[name=reference]").fill("送货单-0099")
    form.locator("button[type=submit]").click()
    expect(page.locator("#spares-notice")).to_contain_text("已入库")
    expect(page.locator(f"#stock-table tr[data-part='{disk['part_number']}']")).not_to_have_class("stock-low")
    # An issue beyond the stock, refused beside its field.
    form = page.locator("#issue-form form")
    form.locator("[name=part_number]").select_option(psu["part_number"])
    form.locator("[name=store_id]").select_option(store["id"])
    form.locator("[name=quantity]").fill("1")
    form.locator("[name=ticket_number]").fill(ticket["number"])
    form.locator("button[type=submit]").click()
    expect(page.locator("#issue-form .error, #issue-form .field-error").first).to_be_visible()
    dispatcher.shot("spares-refused")
    # One crossing, one SMS: the stock stayed below its minimum through the reconciliation, then was refilled.
    assert len(texted_to_the_manager()) == 1
