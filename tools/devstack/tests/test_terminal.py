"""Ctrl-C ends `make run` cleanly: make exits 0 and prints no "Interrupt" (a real make in a real pty)."""

import fcntl
import os
import pty
import select
import shutil
import subprocess
import sys
import termios
import textwrap
import time
from pathlib import Path

import pytest

STACK = textwrap.dedent(
    """
    import signal, sys, time
    from devstack.terminal import interrupts_to_this_process

    stopped = []
    signal.signal(signal.SIGINT, lambda *_: stopped.append(True))
    with interrupts_to_this_process():
        print("running", flush=True)
        while not stopped:
            time.sleep(0.05)
    sys.exit(0 if stopped else 1)  # what devstack does when Ctrl-C stopped the processes
    """
)


def own_terminal() -> None:
    """In the child: a session of its own whose controlling terminal is the pty, as under a shell."""
    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def read_until(fd: int, text: bytes, timeout: float) -> bytes:
    seen = b""
    deadline = time.monotonic() + timeout
    while text not in seen:
        if time.monotonic() > deadline:
            raise AssertionError(f"never saw {text!r}; output so far: {seen!r}")
        if select.select([fd], [], [], 0.2)[0]:
            try:
                seen += os.read(fd, 4096)
            except OSError:  # the pty closed: everybody exited
                break
    return seen


def test_ctrl_c_stops_make_run_with_status_zero(tmp_path: Path) -> None:
    if shutil.which("make") is None:
        pytest.fail("GNU make is needed for this test (Debian's make)")
    (tmp_path / "stack.py").write_text(STACK)
    (tmp_path / "Makefile").write_text(f"run:\n\t{sys.executable} stack.py\n")
    leader, follower = pty.openpty()
    make = subprocess.Popen(
        ["make", "-s", "run"], cwd=tmp_path, stdin=follower, stdout=follower, stderr=follower, preexec_fn=own_terminal
    )
    os.close(follower)
    try:
        output = read_until(leader, b"running", timeout=30)
        os.write(leader, b"\x03")  # Ctrl-C typed at the terminal
        status = make.wait(timeout=30)
        output += read_until(leader, b"", timeout=1)
    finally:
        make.kill()
        os.close(leader)
    assert status == 0, output.decode(errors="replace")
    assert b"Interrupt" not in output and b"Error" not in output, output.decode(errors="replace")
