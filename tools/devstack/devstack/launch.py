"""Starting the whole system as real processes and waiting until the gateway reports it ready.

Used by the end-to-end tests and the benchmark; `make run` uses honcho for the same process list.
"""

import subprocess
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx

from devstack.stack import Process, processes

Popen = subprocess.Popen[bytes]


class StackFailed(RuntimeError):
    pass


def start(process: Process, env: Mapping[str, str], log: Path, *, cwd: Path, append: bool = False) -> Popen:
    """One process of the system, its output in `log` (appended to, as a supervisor's restart would)."""
    with open(log, "a" if append else "w") as out:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(process.argv, env=dict(env), stdout=out, stderr=subprocess.STDOUT, cwd=cwd)


def stop(procs: Iterable[Popen], timeout_s: float = 15) -> None:
    """SIGTERM to all at once, then SIGKILL whatever has not exited in time."""
    procs = list(procs)
    for proc in procs:
        proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()


def gateway_ready(url: str) -> bool:
    """The gateway at `url` reports every service ready."""
    try:
        return httpx.get(f"{url}/api/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def wait_ready(url: str, running: Iterable[Popen], log_dir: Path, *, timeout_s: float = 240) -> None:
    """Until the gateway at `url` reports every service ready; fails at once if a process exits. The bound is
    generous: a dozen processes starting at once on two busy cores took over 90 s (it returns when ready)."""
    running = list(running)
    deadline = time.monotonic() + timeout_s
    while True:
        if gateway_ready(url):
            return
        exited = [" ".join(p.args[2:4]) for p in running if p.poll() is not None]  # type: ignore[index]
        if exited or time.monotonic() > deadline:
            tail = "".join(f.read_text(errors="replace")[-1500:] for f in sorted(log_dir.glob("*.log")))
            raise StackFailed(f"the system did not become ready (exited: {exited}); last log lines:\n{tail}")
        time.sleep(0.3)


@contextmanager
def launched(env: Mapping[str, str], log_dir: Path, *, cwd: Path, ready_timeout_s: float = 240) -> Iterator[str]:
    """Run every process with `env`, logging to `log_dir/<name>.log`; yields the gateway's URL."""
    running: list[Popen] = []
    try:
        for process in processes(env):
            proc = start(process, env, log_dir / f"{process.name}.log", cwd=cwd)
            (log_dir / f"{process.name}.pid").write_text(str(proc.pid))  # the benchmark reads their memory
            running.append(proc)
        url = env["OPSDESK_PUBLIC_URL"]
        wait_ready(url, running, log_dir, timeout_s=ready_timeout_s)
        yield url
    finally:
        stop(running)
