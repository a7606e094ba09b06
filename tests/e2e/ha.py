"""Servers of their own for the high-availability drills (issue 23): a three-node RabbitMQ cluster and a
PostgreSQL primary with a synchronous standby, each on free ports in a temporary directory, and an OpsDesk
system of its own on them. The machine's broker and PostgreSQL are left alone; everything started here is
stopped and deleted when the drill ends, whether it passed or not."""

import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import pytest

from devstack.launch import StackFailed, launched
from devstack.stack import DEFAULT_PORTS, stack_env
from opsdesk_shared.db import drop_database
from opsdesk_shared.testing.plugin import SERVICES, RunEnvironment
from tests.conftest import ROOT, Stack, personal_data_in_logs

RABBITMQ_BIN = Path("/usr/lib/rabbitmq/bin")
PG_BIN = Path(os.environ.get("OPSDESK_PG_BIN", "/usr/lib/postgresql/15/bin"))
# rabbitmqctl's own Erlang distribution listens in 35672-35682 (the CLI tools' range): never a node's port.
CLI_PORTS = range(35672, 35683)


def free_port() -> int:
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        if port not in CLI_PORTS:
            return port


def as_user(user: str, argv: list[str]) -> list[str]:
    """Tests run as root; the servers refuse to (PostgreSQL) or must own their files (RabbitMQ)."""
    if os.geteuid() != 0:
        return argv
    return ["runuser", "-u", user, "--", *argv]


def own_dir(prefix: str, user: str) -> Path:
    path = Path(tempfile.mkdtemp(prefix=prefix))
    path.chmod(0o755)
    if os.geteuid() == 0:
        shutil.chown(path, user, user)
    return path


T = TypeVar("T")


def wait_until(what: str, probe: Callable[[], T | None], timeout: float, interval: float = 0.5) -> T:
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


# RabbitMQ ------------------------------------------------------------------------------------------------


@dataclass
class MqNode:
    name: str  # Erlang node name, `<name>@localhost`
    port: int
    dist_port: int
    home: Path
    process: subprocess.Popen[bytes] | None = None

    def ctl(self, *args: str, timeout: float = 60, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            as_user("rabbitmq", [str(RABBITMQ_BIN / "rabbitmqctl"), "-q", "-n", self.name, *args]),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=check,
            env={**os.environ, "HOME": "/var/lib/rabbitmq"},
        )

    def url(self, user: str = "guest", password: str = "guest") -> str:
        return f"amqp://{user}:{password}@127.0.0.1:{self.port}/"


@dataclass
class MqCluster:
    nodes: list[MqNode]

    @property
    def amqp_url(self) -> str:
        """OPSDESK_AMQP_URL for the cluster: every node, comma-separated."""
        return ",".join(node.url() for node in self.nodes)

    def running(self) -> list[MqNode]:
        return [n for n in self.nodes if n.ctl("status", check=False, timeout=30).returncode == 0]

    def leaders(self, via: MqNode, timeout: float = 60) -> dict[str, str]:
        """Each quorum queue's leader node, as the cluster sees it once it has one for every queue.

        Asked again until the answer is whole, for at most `timeout` seconds: right after a node stops or
        starts, `list_queues` can fail (a node's listing timed out, the app is still booting), name no leader
        for a queue in an election, or (once, in a full run) print what is not the JSON document at all."""
        nodes = {n.name for n in self.nodes}
        deadline = time.monotonic() + timeout
        answers: list[str] = []
        while True:
            found = _quorum_leaders(via, nodes)
            if isinstance(found, dict):
                if answers:  # the output it could not use, for the next reader of a slow or flaky drill
                    print(f"rabbitmqctl list_queues on {via.name} answered {len(answers)} time(s) unusably:")
                    print("\n".join(answers[-3:]))
                return found
            answers.append(found)
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"no whole answer from rabbitmqctl list_queues on {via.name} within {timeout:.0f} s; the last:\n"
                    + "\n".join(answers[-3:])
                )
            time.sleep(0.5)


def _quorum_leaders(via: MqNode, nodes: set[str]) -> dict[str, str] | str:
    """Quorum queue -> leader node, or what was wrong with rabbitmqctl's answer (to report if it persists)."""
    try:
        done = via.ctl("list_queues", "name", "type", "leader", "--formatter", "json", check=False, timeout=30)
    except subprocess.TimeoutExpired:
        return "no answer within 30 s"
    said = f"exit {done.returncode}, stdout {done.stdout[:500]!r}, stderr {done.stderr[:300]!r}"
    if done.returncode != 0:
        return said
    try:
        rows = json.loads(done.stdout)
    except ValueError as exc:
        return f"not JSON ({exc}): {said}"
    if not isinstance(rows, list) or not all(isinstance(q, dict) for q in rows):
        return f"not a list of queues: {said}"
    leaders = {str(q.get("name")): str(q.get("leader")) for q in rows if q.get("type") == "quorum"}
    if not set(leaders.values()) <= nodes:
        return f"a queue without a leader among the nodes (an election under way?): {said}"
    return leaders


def _start_node(node: MqNode) -> subprocess.Popen[bytes]:
    (node.home / "rabbitmq.conf").write_text(
        # The machine's /etc/rabbitmq/rabbitmq.conf pins 5672: each node reads its own file instead.
        f"listeners.tcp.default = 127.0.0.1:{node.port}\n"
        "loopback_users = none\n"
        "cluster_partition_handling = pause_minority\n"
    )
    (node.home / "enabled_plugins").write_text("[].\n")
    (node.home / "rabbitmq-env.conf").write_text("")  # not /etc/rabbitmq's, which names the machine's node
    for sub in ("mnesia", "log"):
        (node.home / sub).mkdir(exist_ok=True)
    if os.geteuid() == 0:
        subprocess.run(["chown", "-R", "rabbitmq:rabbitmq", str(node.home)], check=True)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("RABBITMQ_")},
        "HOME": "/var/lib/rabbitmq",  # the Erlang cookie the machine's rabbitmqctl shares
        "RABBITMQ_NODENAME": node.name,
        "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
        "RABBITMQ_NODE_PORT": str(node.port),
        "RABBITMQ_DIST_PORT": str(node.dist_port),
        "RABBITMQ_CONFIG_FILE": str(node.home / "rabbitmq.conf"),
        "RABBITMQ_CONF_ENV_FILE": str(node.home / "rabbitmq-env.conf"),
        "RABBITMQ_ENABLED_PLUGINS_FILE": str(node.home / "enabled_plugins"),
        "RABBITMQ_MNESIA_BASE": str(node.home / "mnesia"),
        "RABBITMQ_LOG_BASE": str(node.home / "log"),
        "ERL_EPMD_ADDRESS": "127.0.0.1",
    }
    with open(node.home / "stdout.log", "wb") as out:
        return subprocess.Popen(
            as_user("rabbitmq", [str(RABBITMQ_BIN / "rabbitmq-server")]),
            env=env,
            cwd="/var/lib/rabbitmq",
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _await_node(node: MqNode, timeout: float = 90) -> None:
    def up() -> bool:
        if node.process is not None and node.process.poll() is not None:
            raise AssertionError(f"RabbitMQ node {node.name} exited: {(node.home / 'stdout.log').read_text()[-2000:]}")
        try:
            return node.ctl("await_startup", "--timeout", "5", check=False, timeout=30).returncode == 0
        except subprocess.TimeoutExpired:  # the CLI itself slow to start on a loaded machine: not up yet
            return False

    wait_until(f"RabbitMQ node {node.name}", up, timeout)


@contextmanager
def rabbitmq_cluster(size: int = 3) -> Iterator[MqCluster]:
    if not (RABBITMQ_BIN / "rabbitmq-server").exists():
        pytest.fail(f"the broker drill starts RabbitMQ nodes of its own: no {RABBITMQ_BIN}/rabbitmq-server")
    run = uuid.uuid4().hex[:6]
    base = own_dir("opsdesk-mq-", "rabbitmq")
    nodes = []
    for i in range(size):
        home = base / f"n{i}"
        home.mkdir()
        nodes.append(MqNode(f"opsdesk-drill-{run}-{i}@localhost", free_port(), free_port(), home))
    try:
        for node in nodes:
            node.process = _start_node(node)
        for node in nodes:
            _await_node(node)
        for node in nodes[1:]:
            node.ctl("stop_app")
            node.ctl("join_cluster", nodes[0].name)
            node.ctl("start_app")
        # The broker's policies as deployed (deploy/rabbitmq/definitions.json; k8s/data has the same): the
        # consumer queues' delivery limit, and the classic retry wait queues mirrored on every node.
        definitions = json.loads((ROOT / "deploy/rabbitmq/definitions.json").read_text())
        for policy in definitions["policies"]:
            nodes[0].ctl(
                "set_policy",
                *("--apply-to", policy["apply-to"], "--priority", str(policy["priority"])),
                policy["name"],
                policy["pattern"],
                json.dumps(policy["definition"]),
            )
        yield MqCluster(nodes)
    finally:
        # All at once: one after the other, each waiting for its node to go, on a loaded machine (load 40) the
        # first had not returned when a drill that had passed ran out of its 420 s.
        running = [n for n in nodes if n.process is not None and n.process.poll() is None]
        if running:
            with ThreadPoolExecutor(max_workers=len(running)) as stopping:
                list(stopping.map(_stop_node, running))
        for node in nodes:
            if node.process is not None:
                try:
                    node.process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    pass
        for node in nodes:  # the start script, runuser and the Erlang VM are one process group, ours
            if node.process is not None:
                try:
                    os.killpg(node.process.pid, 9)
                except ProcessLookupError:
                    pass
        shutil.rmtree(base, ignore_errors=True)


def _stop_node(node: MqNode) -> None:
    try:
        node.ctl("stop", check=False, timeout=60)
    except subprocess.TimeoutExpired:
        pass  # killed with its process group below


# PostgreSQL -----------------------------------------------------------------------------------------------


@dataclass
class PgNode:
    name: str
    port: int
    data: Path
    sockets: Path

    def ctl(self, *args: str, timeout: float = 60, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            as_user("postgres", [str(PG_BIN / "pg_ctl"), "-D", str(self.data), *args]),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=check,
        )

    def sql(self, query: str, timeout: float = 30) -> str:
        return subprocess.run(
            as_user(
                "postgres",
                [str(PG_BIN / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-AtXc", query],
            ),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=True,
        ).stdout.strip()


@dataclass
class PgPair:
    primary: PgNode
    standby: PgNode
    events: list[str] = field(default_factory=list)

    @property
    def database_url(self) -> str:
        """OPSDESK_DATABASE_URL: both servers, the read-write one chosen at each connection."""
        return (
            f"postgresql://postgres@127.0.0.1:{self.primary.port},127.0.0.1:{self.standby.port}"
            "?target_session_attrs=read-write"
        )


def _pg_conf(node: PgNode) -> str:
    return (
        f"port = {node.port}\n"
        "listen_addresses = '127.0.0.1'\n"
        f"unix_socket_directories = '{node.sockets}'\n"
        "max_connections = 300\n"
        "wal_level = replica\n"
        "max_wal_senders = 5\n"
        "hot_standby = on\n"
        "fsync = off\n"  # a throw-away cluster: durability across a machine crash is not the subject
        "shared_buffers = 32MB\n"
    )


@contextmanager
def postgres_pair() -> Iterator[PgPair]:
    if not (PG_BIN / "initdb").exists():
        pytest.fail(f"the database drill starts PostgreSQL servers of its own: no {PG_BIN}/initdb")
    base = own_dir("opsdesk-pg-", "postgres")
    primary = PgNode("primary", free_port(), base / "primary", base)
    standby = PgNode("standby", free_port(), base / "standby", base)
    started: list[PgNode] = []
    try:
        subprocess.run(
            as_user("postgres", [str(PG_BIN / "initdb"), "-D", str(primary.data), "-U", "postgres", "-A", "trust"]),
            capture_output=True,
            check=True,
            timeout=120,
        )
        with open(primary.data / "postgresql.conf", "a") as conf:
            conf.write(_pg_conf(primary))
        with open(primary.data / "pg_hba.conf", "a") as hba:
            hba.write("host replication postgres 127.0.0.1/32 trust\n")
        primary.ctl("start", "-w", "-l", str(base / "primary.log"))
        started.append(primary)
        subprocess.run(
            as_user(
                "postgres",
                [
                    str(PG_BIN / "pg_basebackup"),
                    *("-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres"),
                    *("-D", str(standby.data), "-X", "stream", "-R", "-c", "fast"),
                ],
            ),
            capture_output=True,
            check=True,
            timeout=120,
        )
        with open(standby.data / "postgresql.auto.conf", "a") as conf:
            conf.write(
                f"primary_conninfo = 'host=127.0.0.1 port={primary.port} user=postgres application_name=standby'\n"
            )
        with open(standby.data / "postgresql.conf", "a") as conf:
            conf.write(_pg_conf(standby))
        standby.ctl("start", "-w", "-l", str(base / "standby.log"))
        started.append(standby)
        # Synchronous: a commit is acknowledged only once the standby has it.
        primary.sql("ALTER SYSTEM SET synchronous_standby_names = 'standby'")
        primary.sql("SELECT pg_reload_conf()")
        wait_until(
            "the standby to be synchronous",
            lambda: primary.sql("SELECT sync_state FROM pg_stat_replication") == "sync",
            60,
        )
        yield PgPair(primary, standby)
    finally:
        for node in started:
            node.ctl("stop", "-m", "immediate", "-w", check=False)
        shutil.rmtree(base, ignore_errors=True)


# An OpsDesk system on them ---------------------------------------------------------------------------------


@contextmanager
def opsdesk_on(
    opsdesk: RunEnvironment, *, database_url: str, amqp_url: str, extra: Mapping[str, str] | None = None
) -> Iterator[Stack]:
    """Set up (migrations, queues, demo units and users) and run every OpsDesk process against these servers,
    with databases and rate-limit counters of its own."""
    with ExitStack() as cleanup:
        work = Path(tempfile.mkdtemp(prefix="opsdesk-ha-"))
        cleanup.callback(shutil.rmtree, work, True)
        prefix = f"opsdesk_ha{uuid.uuid4().hex[:6]}"
        cleanup.callback(_drop_databases, database_url, prefix)
        base = {k: v for k, v in os.environ.items() if not k.startswith(("OPSDESK_", "TWILIO_"))}
        run_env = opsdesk.env()
        env = stack_env(
            {
                **base,
                **run_env,
                "OPSDESK_DATABASE_URL": database_url,
                "OPSDESK_DATABASE_PREFIX": prefix,
                "OPSDESK_REDIS_KEY_PREFIX": prefix,
                "OPSDESK_AMQP_URL": amqp_url,
                "OPSDESK_LOGIN_RATE_LIMIT": "100000/minute",
                **(extra or {}),
            },
            root=ROOT,
            ports={name: free_port() for name in DEFAULT_PORTS},
        )
        setup = subprocess.run(
            [sys.executable, "-m", "devstack", "setup"],
            env=env,
            cwd=work,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert setup.returncode == 0, setup.stdout[-2000:] + setup.stderr[-3000:]
        credentials = json.loads((work / "var/demo-credentials.json").read_text())
        log_dir = work / "logs"
        log_dir.mkdir()
        try:
            url = cleanup.enter_context(launched(env, log_dir, cwd=ROOT))
        except StackFailed as exc:
            pytest.fail(str(exc))
        yield Stack(url, env["TWILIO_API_BASE_URL"], credentials, log_dir, env)
        leaks = personal_data_in_logs(log_dir)
        assert not leaks, "personal data in the drill's logs:\n" + "\n".join(leaks[:20])


def _drop_databases(database_url: str, prefix: str) -> None:
    async def drop() -> None:
        for service in SERVICES:
            await drop_database(database_url, f"{prefix}_{service}")

    try:
        # In a thread of its own: the browser tests' Playwright leaves an event loop running in this one.
        with ThreadPoolExecutor(max_workers=1) as thread:
            thread.submit(asyncio.run, drop()).result()
    except OSError:  # the drill's own server, already gone with its directory
        pass


def log_events(stack: Stack, event: str) -> list[dict]:
    """The structured log lines of every process with this event name."""
    found = []
    for line in stack.logs().splitlines():
        if event in line and line.startswith("{"):
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if record.get("event") == event:
                found.append(record)
    return found
