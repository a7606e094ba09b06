"""The processes of a whole OpsDesk system and the environment they share (SPEC §8)."""

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

SERVICES = ("intake", "dispatch", "notifications", "reporting", "assets")
DEFAULT_PORTS = {
    "gateway": 8000,
    "intake": 8101,
    "dispatch": 8102,
    "notifications": 8103,
    "reporting": 8104,
    "assets": 8105,
    "twilio_sink": 8109,
}


@dataclass(frozen=True)
class Process:
    name: str
    argv: list[str]


def stack_env(base: Mapping[str, str], *, root: Path, ports: Mapping[str, int] | None = None) -> dict[str, str]:
    """The environment every process gets: SPEC §8's variables as given, the rest filled in."""
    ports = {**DEFAULT_PORTS, **(ports or {})}
    env = dict(base)
    env.setdefault("OPSDESK_GATEWAY_PORT", str(ports["gateway"]))
    env.setdefault("OPSDESK_PUBLIC_URL", f"http://127.0.0.1:{env['OPSDESK_GATEWAY_PORT']}")
    env.setdefault("OPSDESK_JWT_PUBLIC_KEY_FILE", str(root / "var/keys/jwt_public.pem"))
    env.setdefault("OPSDESK_JWT_PRIVATE_KEY_FILE", str(root / "var/keys/jwt_private.pem"))
    env.setdefault("OPSDESK_PII_KEY_FILE", str(root / "var/keys/pii.key"))
    env.setdefault("OPSDESK_WEB_SESSION_KEY_FILE", str(root / "var/keys/web_session.key"))
    env.setdefault("OPSDESK_TOTP_KEY_FILE", str(root / "var/keys/totp.key"))
    env.setdefault("OPSDESK_AUDIT_KEY_FILE", str(root / "var/keys/audit.key"))
    for service in SERVICES:
        env.setdefault(f"OPSDESK_{service.upper()}_PORT", str(ports[service]))
        env.setdefault(f"OPSDESK_{service.upper()}_URL", f"http://127.0.0.1:{env[f'OPSDESK_{service.upper()}_PORT']}")
    if uses_sink(env):
        env.setdefault("OPSDESK_TWILIO_SINK_PORT", str(ports["twilio_sink"]))
        env.setdefault("TWILIO_API_BASE_URL", f"http://127.0.0.1:{env['OPSDESK_TWILIO_SINK_PORT']}")
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def uses_sink(env: Mapping[str, str]) -> bool:
    return not (env.get("TWILIO_ACCOUNT_SID") and env.get("TWILIO_AUTH_TOKEN"))


def processes(env: Mapping[str, str]) -> list[Process]:
    py = sys.executable
    procs = [Process("gateway", [py, "-m", "gateway", "api"])]
    for service in SERVICES:
        port = env[f"OPSDESK_{service.upper()}_PORT"]
        procs.append(Process(f"{service}-api", [py, "-m", service, "api", "--port", port]))
        procs.append(Process(f"{service}-worker", [py, "-m", service, "worker"]))
    if uses_sink(env):
        procs.append(Process("twilio-sink", [py, "-m", "twilio_sink", "--port", env["OPSDESK_TWILIO_SINK_PORT"]]))
    return procs


def current_env(root: Path) -> dict[str, str]:
    return stack_env(os.environ, root=root)
