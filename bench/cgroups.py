"""The bench's processes under the CPU requests and limits of k8s/base, as the kubelet applies them.

`OPSDESK_BENCH_CPU=k8s` puts each process the bench started into a cgroup (v1 `cpu` controller) of its
Deployment's name, with the kubelet's arithmetic for a container's CPU:

- `cpu.shares` = request in millicores × 1024 / 1000 (at least 2): when the cores are saturated, each
  group gets CPU in proportion to its request, so an API with a larger request is served before a worker
  whose work can wait;
- `cpu.cfs_quota_us` = limit in millicores × the period (100 ms) / 1000: the group never uses more than
  its limit, even on an idle machine.

So the figures say what the manifests' sizing does to POST latency and to how far the consequences lag,
on this machine, without a cluster. PostgreSQL and RabbitMQ stay where they are (in production they are
StatefulSets of their own, `k8s/data`).
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from devstack.k8s_sizing import kubelet_shares, manifest_cpu

CPU_CONTROLLER = Path("/sys/fs/cgroup/cpu")
PERIOD_US = 100_000  # the kubelet's CFS period


@contextmanager
def kubelet_cpu(work: Path, manifests: Path, run: str) -> Iterator[dict[str, tuple[int, int | None]]]:
    """While inside, every `<name>.pid` in `work` whose name is a Deployment runs under that Deployment's
    CPU request and limit. Yields what was applied."""
    if not os.access(CPU_CONTROLLER, os.W_OK):
        raise RuntimeError(f"OPSDESK_BENCH_CPU=k8s needs a writable cgroup v1 cpu controller at {CPU_CONTROLLER}")
    sizing = manifest_cpu(manifests)
    parent = CPU_CONTROLLER / f"opsdesk-bench-{run}"
    parent.mkdir()
    applied: dict[str, tuple[int, int | None]] = {}
    groups: list[Path] = []
    try:
        for pid_file in sorted(work.glob("*.pid")):
            if pid_file.stem not in sizing:
                continue
            request_m, limit_m = sizing[pid_file.stem]
            group = parent / pid_file.stem
            group.mkdir()
            groups.append(group)
            (group / "cpu.shares").write_text(str(kubelet_shares(request_m)))
            (group / "cpu.cfs_period_us").write_text(str(PERIOD_US))
            quota = -1 if limit_m is None else max(1000, limit_m * PERIOD_US // 1000)
            (group / "cpu.cfs_quota_us").write_text(str(quota))
            (group / "cgroup.procs").write_text(pid_file.read_text().strip())
            applied[pid_file.stem] = (request_m, limit_m)
        yield applied
    finally:
        for group in groups:  # back to the root group, so that the groups can be removed
            for pid in (group / "cgroup.procs").read_text().split():
                try:
                    (CPU_CONTROLLER / "cgroup.procs").write_text(pid)
                except ProcessLookupError:
                    pass
            group.rmdir()
        parent.rmdir()
