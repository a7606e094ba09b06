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
    "aliyun_sink": 8110,
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
    if uses_aliyun_sink(env):
        # The Dysmsapi stand-in, signing keys of its own, pushing reports and replies through the gateway.
        env.setdefault("OPSDESK_ALIYUN_SINK_PORT", str(ports["aliyun_sink"]))
        env.setdefault("ALIYUN_SMS_ENDPOINT", f"http://127.0.0.1:{env['OPSDESK_ALIYUN_SINK_PORT']}")
        env.setdefault("ALIYUN_ACCESS_KEY_ID", "LTAI-opsdesk-dev-sink")
        env.setdefault("ALIYUN_ACCESS_KEY_SECRET", "opsdesk-dev-aliyun-sink-secret")
        env.setdefault("ALIYUN_SMS_SIGN_NAME", "居住证运维")
        env.setdefault("OPSDESK_ALIYUN_SINK_REPORT_URL", env["OPSDESK_PUBLIC_URL"] + "/api/sms/webhooks/aliyun/report")
        env.setdefault("OPSDESK_ALIYUN_SINK_UP_URL", env["OPSDESK_PUBLIC_URL"] + "/api/sms/webhooks/aliyun/up")
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def uses_aliyun(env: Mapping[str, str]) -> bool:
    return env.get("OPSDESK_SMS_PROVIDER", "twilio") == "aliyun"


def uses_sink(env: Mapping[str, str]) -> bool:
    """Twilio is live and has no credentials: its local stand-in."""
    return not uses_aliyun(env) and not (env.get("TWILIO_ACCOUNT_SID") and env.get("TWILIO_AUTH_TOKEN"))


def uses_aliyun_sink(env: Mapping[str, str]) -> bool:
    """`OPSDESK_SMS_PROVIDER=aliyun make run` without Aliyun keys, or with the stand-in's own: the stand-in."""
    if not uses_aliyun(env):
        return False
    key = env.get("ALIYUN_ACCESS_KEY_ID")
    return not key or key == "LTAI-opsdesk-dev-sink"


def processes(env: Mapping[str, str]) -> list[Process]:
    py = sys.executable
    procs = [
        Process("gateway", [py, "-m", "gateway", "api"]),
        Process("gateway-worker", [py, "-m", "gateway", "worker"]),
    ]
    for service in SERVICES:
        port = env[f"OPSDESK_{service.upper()}_PORT"]
        procs.append(Process(f"{service}-api", [py, "-m", service, "api", "--port", port]))
        procs.append(Process(f"{service}-worker", [py, "-m", service, "worker"]))
    if uses_sink(env):
        procs.append(Process("twilio-sink", [py, "-m", "twilio_sink", "--port", env["OPSDESK_TWILIO_SINK_PORT"]]))
    if uses_aliyun_sink(env):
        procs.append(Process("aliyun-sink", [py, "-m", "aliyun_sink", "--port", env["OPSDESK_ALIYUN_SINK_PORT"]]))
    return procs


def current_env(root: Path) -> dict[str, str]:
    return stack_env(os.environ, root=root)
