"""Starting the whole system as real processes and waiting until the gateway reports it ready.

Used by the end-to-end tests and the benchmark; `make run` uses honcho for the same process list.
"""

import subprocess
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx

from devstack.stack import processes


class StackFailed(RuntimeError):
    pass


@contextmanager
def launched(env: Mapping[str, str], log_dir: Path, *, cwd: Path, ready_timeout_s: float = 90) -> Iterator[str]:
    """Run every process with `env`, logging to `log_dir/<name>.log`; yields the gateway's URL."""
    running: list[tuple[subprocess.Popen[bytes], object]] = []
    try:
        for process in processes(env):
            log = open(log_dir / f"{process.name}.log", "w")  # noqa: SIM115 (closed with the process)
            proc = subprocess.Popen(process.argv, env=dict(env), stdout=log, stderr=subprocess.STDOUT, cwd=cwd)
            (log_dir / f"{process.name}.pid").write_text(str(proc.pid))  # the benchmark reads their memory
            running.append((proc, log))
        url = env["OPSDESK_PUBLIC_URL"]
        deadline = time.monotonic() + ready_timeout_s
        while True:
            try:
                if httpx.get(f"{url}/api/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            exited = [" ".join(p.args[2:4]) for p, _ in running if p.poll() is not None]  # type: ignore[index]
            if exited or time.monotonic() > deadline:
                tail = "".join(f.read_text(errors="replace")[-1500:] for f in sorted(log_dir.glob("*.log")))
                raise StackFailed(f"the system did not become ready (exited: {exited}); last log lines:\n{tail}")
            time.sleep(0.3)
        yield url
    finally:
        for proc, _ in running:
            proc.terminate()
        for proc, log in running:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
            log.close()  # type: ignore[attr-defined]
