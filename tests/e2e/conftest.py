"""A real headless Chromium (Debian's, driven by Playwright) for the web UI's end-to-end tests.

Playwright's own browser download does not work on the bureau's network, so the tests use the system
Chromium (`make` installs Debian's `chromium`; `OPSDESK_CHROMIUM` points at another). Every page a test
visits is saved as a screenshot under `var/screenshots/<test>/`."""

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, ViewportSize, sync_playwright

from tests.conftest import ROOT, Stack

CHROMIUM = os.environ.get("OPSDESK_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(os.environ.get("OPSDESK_SCREENSHOT_DIR", ROOT / "var" / "screenshots"))
# Without these Chromium keeps trying to reach Google's hosts, which the closed network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESK: ViewportSize = {"width": 1366, "height": 768}
PHONE: ViewportSize = {"width": 390, "height": 844}


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: install Debian's chromium (make does) or set OPSDESK_CHROMIUM")
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


class Desk:
    """One person at one browser: signs in, visits pages, and keeps a screenshot of each."""

    def __init__(self, context: BrowserContext, stack: Stack, shots: Path, who: str) -> None:
        self.context = context
        self.stack = stack
        self.page: Page = context.new_page()
        self.shots = shots
        self.who = who
        self.count = 0
        self.errors: list[str] = []
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        # The browser also logs every 4xx answer as a console error; refusals are part of the tests.
        self.page.on(
            "console",
            lambda m: (
                self.errors.append(m.text)
                if m.type == "error" and not m.text.startswith("Failed to load resource")
                else None
            ),
        )

    def login(self, username: str | None = None, password: str | None = None) -> Page:
        username = username or self.who
        self.page.goto(self.stack.url + "/login")
        self.page.fill("[name=username]", username)
        self.page.fill("[name=password]", password or self.stack.credentials[username])
        self.page.click("#login-form button[type=submit]")
        self.page.wait_for_url(re.compile(r".*/ui/.*"))
        return self.page

    def goto(self, path: str) -> Page:
        self.page.goto(self.stack.url + path)
        return self.page

    def shot(self, name: str) -> None:
        self.count += 1
        self.shots.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=self.shots / f"{self.count:02d}-{self.who}-{name}.png", full_page=True)

    def mark_page(self) -> None:
        """A flag in this page's memory: still there later means the page was never reloaded."""
        self.page.evaluate("window.__notReloaded = true")

    def not_reloaded(self) -> bool:
        return bool(self.page.evaluate("window.__notReloaded === true"))


OpenDesk = Callable[..., Desk]


@pytest.fixture
def desks(browser: Browser, stack: Stack, request: pytest.FixtureRequest) -> Iterator[OpenDesk]:
    """`desks(who, phone=False)`: a fresh browser profile per person; closed after the test."""
    opened: dict[str, Desk] = {}
    shots = SCREENSHOTS / request.node.name

    def open_desk(who: str, *, phone: bool = False, lang: str | None = None) -> Desk:
        context = browser.new_context(
            viewport=PHONE if phone else DESK,
            is_mobile=phone,
            has_touch=phone,
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
            accept_downloads=True,
        )
        context.set_default_timeout(15_000)
        desk = Desk(context, stack, shots, who)
        opened[who] = desk
        return desk

    yield open_desk
    for desk in opened.values():
        desk.context.close()
    errors = [f"{who}: {e}" for who, d in opened.items() for e in d.errors]
    assert not errors, "script errors in the pages:\n" + "\n".join(errors)
