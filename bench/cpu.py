"""CPU time each process of the system spent, read from /proc: the benchmark divides a run's share by the
tickets it made, so the table says where a ticket's cost goes (the system's own processes, PostgreSQL
and RabbitMQ; the load generator is left out)."""

import os
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK")
# Servers shared with the rest of the machine: counted by process name.
SERVERS = {"postgres": "postgres", "rabbitmq": "beam.smp"}


def _seconds(stat: str) -> float:
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS  # utime + stime


def snapshot(work: Path) -> dict[str, float]:
    """CPU seconds so far of each process started by the benchmark (its `<name>.pid` files in `work`) and
    of all PostgreSQL and RabbitMQ processes."""
    used: dict[str, float] = {}
    for pid_file in sorted(work.glob("*.pid")):
        try:
            used[pid_file.stem] = _seconds(Path(f"/proc/{pid_file.read_text().strip()}/stat").read_text())
        except (FileNotFoundError, ProcessLookupError):
            continue
    for name in SERVERS:
        used[name] = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        command = stat[stat.index("(") + 1 : stat.rindex(")")]
        for name, prefix in SERVERS.items():
            if command.startswith(prefix):
                used[name] += _seconds(stat)
    return used


def per_unit_ms(before: dict[str, float], after: dict[str, float], units: int) -> dict[str, float]:
    return {name: (after[name] - before.get(name, 0.0)) * 1000 / units for name in after if units}
