"""The engineer in the field, on a phone-sized page (issue 19): where and by when on the list, the SLA
deadline on the order, decline and hold with a reason, parts rows added and removed, a photo, the
requester's signature drawn on the screen; and what the dispatcher then sees on the ticket page: parts,
costs and who bears them, the work log, the photo and the signature."""

import base64
import re
import uuid
from pathlib import Path

import httpx
from playwright.sync_api import expect

from tests.conftest import Stack
from tests.e2e.conftest import OpenDesk
from tests.e2e.test_walking_skeleton import file_ticket, wait_for

ONE_PIXEL_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


def _assigned(stack: Stack, client: httpx.Client, **fields: str) -> dict:
    """A hotline ticket in the demo requester's unit, assigned to the demo engineer through the API."""
    operator, dispatcher = stack.token("operator"), {"Authorization": f"Bearer {stack.token('dispatcher')}"}
    me = client.get("/api/auth/me", headers={"Authorization": f"Bearer {stack.token('requester')}"}).json()
    ticket = file_ticket(client, operator, me["unit_id"], "13800138031", **fields)
    engineer_id = wait_for(
        "dispatch to know the demo engineer",
        lambda: next(
            (
                e["user_id"]
                for e in client.get("/api/engineers", headers=dispatcher).json()
                if e["username"] == "engineer"
            ),
            None,
        ),
    )
    wait_for(
        "the assignment",
        lambda: (
            client.post(
                "/api/work-orders", json={"ticket_id": ticket["id"], "engineer_id": engineer_id}, headers=dispatcher
            ).status_code
            == 201
        ),
    )
    return ticket


def test_the_engineer_works_a_job_on_the_phone_and_the_dispatcher_sees_the_record(
    stack: Stack, desks: OpenDesk, tmp_path: Path
) -> None:
    client = stack.client()
    title = f"制证机卡纸 {uuid.uuid4().hex[:4]}"
    ticket = _assigned(stack, client, title=title, location="户籍大厅3号窗口")
    declined = _assigned(stack, client, title=f"打印机无法联网 {uuid.uuid4().hex[:4]}")

    engineer = desks("engineer", phone=True)
    engineer.login()
    row = engineer.page.locator(f".orders li[data-ticket='{ticket['number']}']")
    # Where and by when, on the list itself.
    expect(row.locator(".order-place")).to_contain_text("户籍大厅3号窗口")
    expect(row.locator(".order-place")).not_to_have_text(re.compile(r"^\s*户籍大厅3号窗口\s*$"))  # the unit too
    expect(row.locator(".order-due")).to_contain_text(re.compile(r"到场时限 \d\d-\d\d \d\d:\d\d"))
    engineer.shot("my-orders")

    # A job they cannot take: declined with a reason, back to the dispatcher.
    engineer.page.locator(f".orders li[data-ticket='{declined['number']}'] a").click()
    engineer.page.locator("#decline-section summary").click()
    engineer.page.locator("#decline-form [name=reason]").fill("今日在外区支援，无法到场")
    engineer.shot("decline")
    engineer.page.locator("#decline-form button").click()
    expect(engineer.page.locator("#order-status")).to_contain_text("已拒单")

    engineer.goto("/ui/engineer")
    engineer.page.locator(f".orders li[data-ticket='{ticket['number']}'] a").click()
    expect(engineer.page.locator("#arrival-due")).to_have_text(re.compile(r"\d\d-\d\d \d\d:\d\d"))
    expect(engineer.page.locator("#order-unit")).not_to_be_empty()
    expect(engineer.page.locator("#order-location")).to_have_text("户籍大厅3号窗口")
    # The media-custody form is there only for a job where media are replaced.
    expect(engineer.page.locator("#media-form")).to_be_hidden()
    engineer.page.locator("#accept").click()
    expect(engineer.page.locator("#order-status")).to_contain_text("已接单")
    # On hold while the bureau fetches the key to the machine room: the ticket is pending, the clocks pause.
    engineer.page.locator("#hold-section summary").click()
    engineer.page.locator("#hold-form [name=reason]").fill("等待所里取机房钥匙")
    engineer.page.locator("#hold-form button").click()
    expect(engineer.page.locator("#hold-notice")).to_contain_text("等待所里取机房钥匙")
    engineer.shot("on-hold")
    engineer.page.locator("#resume-form button").click()
    expect(engineer.page.locator("#hold-notice")).to_have_count(0)
    engineer.page.locator("#arrive").click()
    expect(engineer.page.locator("#order-status")).to_contain_text("已到场")
    engineer.page.locator("#work-log-form [name=note]").fill("清理搓纸轮，更换分离垫")
    engineer.page.locator("#work-log-form [name=minutes]").fill("25")
    engineer.page.locator("#work-log-form button").click()
    expect(engineer.page.locator("#order-panel .timeline")).to_contain_text("更换分离垫")

    # A photo of the machine, from the phone's camera (a file input with capture).
    photo = tmp_path / "卡纸现场.png"
    photo.write_bytes(ONE_PIXEL_PNG)
    engineer.page.locator("#photo-form [name=photo]").set_input_files(str(photo))
    engineer.page.locator("#photo-form button").click()
    expect(engineer.page.locator("#attachments")).to_contain_text("卡纸现场.png")
    expect(engineer.page.locator("#attachments img")).to_have_count(1)

    # The requester signs on the screen.
    pad = engineer.page.locator("#signature-pad")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    assert box is not None
    mouse = engineer.page.mouse
    mouse.move(box["x"] + 20, box["y"] + 100)
    mouse.down()
    for x, y in ((60, 40), (100, 120), (140, 50), (180, 110), (240, 60)):
        mouse.move(box["x"] + x, box["y"] + y, steps=4)
    mouse.up()
    assert engineer.page.locator("#signature-data").input_value().startswith("data:image/png;base64,")
    engineer.shot("signed")
    engineer.page.locator("#save-signature").click()
    expect(engineer.page.locator("#attachments")).to_contain_text(f"签名-{ticket['number']}.png")

    # Parts: as many rows as the job needs; a row added by mistake is removed.
    form = engineer.page.locator("#resolve-form")
    form.locator("[name=summary]").fill("清理搓纸轮并更换分离垫，打印恢复")
    rows = form.locator(".part-row")
    rows.nth(0).locator("input[name^=part_name_]").fill("分离垫")
    rows.nth(0).locator("input[name^=part_qty_]").fill("2")
    rows.nth(0).locator("input[name^=part_cost_]").fill("45.50")
    form.locator("#add-part").click()
    form.locator("#add-part").click()
    expect(rows).to_have_count(3)
    rows.nth(1).locator("input[name^=part_name_]").fill("写错的配件")
    rows.nth(2).locator("input[name^=part_name_]").fill("搓纸轮")
    rows.nth(2).locator("input[name^=part_qty_]").fill("1")
    rows.nth(2).locator("input[name^=part_cost_]").fill("120.00")
    rows.nth(1).locator("[data-remove-part]").click()
    expect(rows).to_have_count(2)
    engineer.shot("parts")
    form.locator("#resolve").click()
    expect(engineer.page.locator("#order-status")).to_contain_text("已解决")
    expect(engineer.page.locator("#order-panel")).to_contain_text("¥211.00")
    engineer.shot("resolved")

    # The dispatcher's ticket page: the whole record, with the signature to look at.
    dispatcher = desks("dispatcher")
    dispatcher.login()
    dispatcher.goto(f"/ui/tickets/{ticket['id']}")
    record = dispatcher.page.locator("#work-record")
    expect(record.locator(".wo-parts")).to_contain_text("分离垫")
    expect(record.locator(".wo-parts")).to_contain_text("搓纸轮")
    expect(record.locator(".wo-parts")).not_to_contain_text("写错的配件")
    expect(record.locator(".wo-total")).to_contain_text("¥211.00")
    expect(record.locator(".wo-bearer")).to_have_text("服务商承担")
    expect(record.locator(".wo-log")).to_contain_text("更换分离垫")
    signature = record.locator(f"img[alt='签名-{ticket['number']}.png']")
    expect(signature).to_be_visible()
    assert signature.evaluate("img => img.naturalWidth") > 100  # the drawn PNG, opened through the ticket's scope
    dispatcher.shot("ticket-work-record")
    # The declined job: the dispatcher reads why.
    dispatcher.goto(f"/ui/tickets/{declined['id']}")
    expect(dispatcher.page.locator("#work-record .wo-steps")).to_contain_text("今日在外区支援，无法到场")
    # One word per step ("拒单"), not the action and the status it leads to ("派单 → 已派单").
    expect(dispatcher.page.locator("#work-record .wo-steps [data-step=decline]")).to_have_text("拒单")
    expect(dispatcher.page.locator("#work-record .wo-steps")).not_to_contain_text("→")
    dispatcher.shot("declined-record")
