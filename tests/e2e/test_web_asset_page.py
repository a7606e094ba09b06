"""The asset page in a real browser: opened from the ledger, with a fault ticket filed on the asset a moment
ago (it arrives as events), its label and the site's label sheet as PDF, the ledger's fault analysis naming
it; and the engineer's phone view opening the page from a typed tag or a scanned label's address."""

import re
from urllib.parse import quote

import httpx
from playwright.sync_api import expect

from devstack import demo_ledger
from tests.conftest import Stack
from tests.e2e.conftest import OpenDesk
from tests.e2e.test_walking_skeleton import file_ticket, wait_for

TAG = "ZZJ-WJ-001"  # the demo ledger's first card printer at 望京派出所


def ledger_with_a_fault(stack: Stack) -> dict[str, str]:
    """The demo ledger, and a fault ticket on TAG that the asset's history already shows."""
    with httpx.Client(base_url=stack.url) as client:
        demo_ledger.import_ledger(
            client, lambda: stack.token("dispatcher"), lambda what, probe: wait_for(what, probe, timeout=90)
        )
        staff = {"Authorization": f"Bearer {stack.token('dispatcher')}"}
        asset = client.get(f"/api/assets/by-tag/{TAG}", headers=staff).json()
        ticket = file_ticket(
            client, stack.token("operator"), asset["unit_id"], "13800138077", asset_tag=TAG, title="制证机卡纸报错"
        )

        def on_the_page() -> bool:
            history = client.get(f"/api/assets/by-tag/{TAG}/history", headers=staff).json()
            return any(t["number"] == ticket["number"] for t in history["tickets"])

        wait_for("the ticket on the asset's history", on_the_page, timeout=60)
    return ticket


def register_slashed_tag(stack: Stack) -> str:
    with httpx.Client(base_url=stack.url) as client:
        staff = {"Authorization": f"Bearer {stack.token('dispatcher')}"}
        unit_id = client.get(f"/api/assets/by-tag/{TAG}", headers=staff).json()["unit_id"]
        body = {
            "tag": "ZZJ/WJ/0099",
            "asset_class": "id_card_reader",
            "name": "身份证阅读器",
            "security_zone": "公安信息网",
            "owning_system": "居住证信息系统",
            "unit_id": unit_id,
            "site": "望京派出所",
        }
        made = client.post("/api/assets", json=body, headers=staff)
        assert made.status_code in (201, 409), made.text  # 409: registered by an earlier run on this stack
    return "ZZJ/WJ/0099"


def test_the_dispatcher_opens_an_asset_page_from_the_ledger_and_prints_labels(stack: Stack, desks: OpenDesk) -> None:
    ticket = ledger_with_a_fault(stack)
    dispatcher = desks("dispatcher")
    dispatcher.login()
    page = dispatcher.goto("/ui/assets?site=望京派出所")
    page.locator(f"[data-asset={TAG}] a").first.click()
    expect(page).to_have_url(re.compile(rf"/ui/assets/{TAG}$"))
    expect(page.locator("#asset-facts")).to_contain_text("制证机")
    expect(page.locator("#asset-facts")).to_contain_text("望京派出所")
    expect(page.locator(f"#asset-tickets [data-ticket='{ticket['number']}']")).to_contain_text("制证机卡纸报错")
    expect(page.locator("#asset-status-history")).to_contain_text("在用")
    expect(page.locator("#asset-rounds")).to_be_visible()  # staff see the inspections (none yet)
    dispatcher.shot("asset-page")
    page.locator("#lang-en").click()
    expect(page.locator("#asset-tickets h2")).to_contain_text("Fault tickets and work orders")
    expect(page.locator("#asset-label")).to_have_text("Print label")
    dispatcher.shot("asset-page-english")
    page.locator("#lang-zh-CN").click()

    label = page.request.get(stack.url + (page.locator("#asset-label").get_attribute("href") or ""))
    assert label.ok and label.headers["content-type"] == "application/pdf" and label.body().startswith(b"%PDF")

    page = dispatcher.goto("/ui/assets?site=望京派出所")
    sheet_link = page.locator("#label-sheet").get_attribute("href") or ""
    assert sheet_link.startswith("/ui/assets-labels?") and "site=" in sheet_link and "limit=" in sheet_link
    sheet = page.request.get(stack.url + sheet_link)
    assert sheet.ok and sheet.body().startswith(b"%PDF")
    dispatcher.shots.mkdir(parents=True, exist_ok=True)
    (dispatcher.shots / "label-sheet.pdf").write_bytes(sheet.body())  # for a look: pdftoppm -png

    expect(page.locator(f"#faults-top-assets [data-asset={TAG}]")).to_be_visible()
    expect(page.locator("#faults-per-class [data-class=card_printer]")).to_be_visible()
    page.locator("#asset-faults").scroll_into_view_if_needed()
    dispatcher.shot("fault-analysis")


def test_the_engineer_opens_an_asset_from_the_phone_view(stack: Stack, desks: OpenDesk) -> None:
    ledger_with_a_fault(stack)
    engineer = desks("engineer", phone=True)
    engineer.login()
    page = engineer.goto("/ui/engineer")
    expect(page.locator("#asset-find [name=tag]")).to_be_visible()
    engineer.shot("phone-scan-entry")
    page.fill("#asset-find [name=tag]", TAG.lower())  # typed on a phone keyboard
    page.locator("#asset-find button[type=submit]").click()
    expect(page).to_have_url(re.compile(rf"/ui/assets/{TAG}$"))
    expect(page.locator("#asset-tickets")).to_contain_text("制证机卡纸报错")
    engineer.shot("phone-asset-page")

    # What a label's QR code holds is the page's address: only the tag is read from it, whatever the host.
    scanned = quote(f"http://elsewhere.example/ui/assets/{TAG}", safe="")
    page = engineer.goto(f"/ui/assets-find?tag={scanned}")
    expect(page).to_have_url(re.compile(rf"^{re.escape(stack.url)}/ui/assets/{TAG}$"))

    # A tag holding slashes (some of the bureau's ledgers write them so) opens its page too.
    slashed = register_slashed_tag(stack)
    page = engineer.goto("/ui/engineer")
    page.fill("#asset-find [name=tag]", slashed.lower())
    page.locator("#asset-find button[type=submit]").click()
    expect(page).to_have_url(re.compile(rf"/ui/assets/{re.escape(quote(slashed, safe=''))}$"))
    expect(page.locator("#asset-facts")).to_contain_text("身份证阅读器")

    # This Chromium has no BarcodeDetector: no camera button, the typed tag only.
    page = engineer.goto("/ui/engineer")
    expect(page.locator("#scan-start")).to_be_hidden()


# A phone whose browser reads QR codes, and a camera showing a label (a blank picture the stub "reads").
SCANNING_PHONE = """
window.BarcodeDetector = class {
  static async getSupportedFormats() { return ["qr_code"]; }
  async detect() { return [{ rawValue: "http://elsewhere.example/ui/assets/TAG" }]; }
};
navigator.mediaDevices.getUserMedia = async () => {
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = 16;
  canvas.getContext("2d").fillRect(0, 0, 16, 16);
  return canvas.captureStream();
};
""".replace("TAG", TAG)


def test_the_engineer_scans_a_label_with_the_phones_camera(stack: Stack, desks: OpenDesk) -> None:
    ledger_with_a_fault(stack)
    engineer = desks("engineer", phone=True)
    engineer.context.add_init_script(SCANNING_PHONE)
    engineer.login()
    page = engineer.goto("/ui/engineer")
    page.locator("#scan-start").click()
    expect(page).to_have_url(re.compile(rf"/ui/assets/{TAG}$"))
    expect(page.locator("#asset-facts")).to_contain_text(TAG)
