"""`make run` says "ready: open …" only once the gateway answers healthy, names the demo accounts, and
only then plays the demo morning; a gateway that never answers is said plainly."""

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from devstack.ready import announce_when_ready

CREDENTIALS = Path("var/demo-credentials.json")


def test_the_ready_line_comes_when_the_gateway_answers_and_then_the_demo_plays() -> None:
    asked, healthy = threading.Event(), threading.Event()

    class Health(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            self.send_response(200 if healthy.is_set() else 503)
            self.end_headers()
            asked.set()

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Health)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    lines: list[str] = []
    played = threading.Event()
    announcer = threading.Thread(
        target=announce_when_ready,
        args=(url,),
        kwargs={"demo": True, "credentials": CREDENTIALS, "say": lines.append, "then": played.set},
    )
    try:
        announcer.start()
        assert asked.wait(timeout=30)
        assert lines == [] and not played.is_set()  # the processes are up, the gateway not yet ready
        healthy.set()
        announcer.join(timeout=30)
    finally:
        server.shutdown()
    [line] = lines
    assert line.strip() == (
        f"ready: open {url} — sign in as operator (hotline), requester (portal), dispatcher, engineer, "
        f"supervisor; passwords above and in {CREDENTIALS}. Ctrl-C stops everything."
    )
    assert played.is_set()


def test_a_gateway_that_never_answers_is_said_plainly() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    lines: list[str] = []
    ready = announce_when_ready(
        f"http://127.0.0.1:{port}", demo=False, credentials=CREDENTIALS, say=lines.append, timeout_s=0
    )
    assert not ready and lines == ["not ready after 0 s: see the processes' lines above"]
