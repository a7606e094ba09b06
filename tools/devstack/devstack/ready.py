"""The one line a newcomer waits for in `make run`: printed once the gateway answers, not when the
processes were merely started (they take about 25 s), then the demo morning is played."""

import time
from collections.abc import Callable
from pathlib import Path

from devstack.launch import gateway_ready

READY_TIMEOUT_S = 180
POLL_S = 0.5  # between asking the gateway's health (a poll of a process we do not control, not a wait on ours)


def ready_line(url: str, *, demo: bool, credentials: Path) -> str:
    who = "operator (hotline), requester (portal), dispatcher, engineer, supervisor" if demo else "admin"
    return f"ready: open {url} — sign in as {who}; passwords above and in {credentials}. Ctrl-C stops everything."


def announce_when_ready(
    url: str,
    *,
    demo: bool,
    credentials: Path,
    say: Callable[[str], None],
    then: Callable[[], None] | None = None,
    timeout_s: float = READY_TIMEOUT_S,
) -> bool:
    """Says the ready line once the gateway at `url` answers healthy (or that it did not, after
    `timeout_s`), then runs `then` (the demo morning). True if it became ready."""
    deadline = time.monotonic() + timeout_s
    while not gateway_ready(url):
        if time.monotonic() > deadline:
            say(f"not ready after {timeout_s:.0f} s: see the processes' lines above")
            return False
        time.sleep(POLL_S)
    say("\n" + ready_line(url, demo=demo, credentials=credentials) + "\n")
    if then is not None:
        then()
    return True
