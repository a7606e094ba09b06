"""`python -m devstack setup|run`: what `make run` does."""

import argparse
import logging
import os
import sys
import threading
import time
from pathlib import Path

from honcho.manager import Manager
from honcho.printer import Printer

from devstack.demo_activity import play_when_ready
from devstack.launch import gateway_ready
from devstack.setup import run_set_up
from devstack.stack import current_env, processes, uses_aliyun_sink, uses_sink
from devstack.terminal import interrupts_to_this_process

# What honcho's manager returns when Ctrl-C (SIGINT) stopped it: the normal way to end `make run`.
INTERRUPTED = 130
READY_TIMEOUT_S = 180

ROOT = Path.cwd()
parser = argparse.ArgumentParser(prog="python -m devstack")
parser.add_argument("command", choices=["setup", "run"])
parser.add_argument("--no-demo", action="store_true", help="do not create the demo units and users")
parser.add_argument("--no-keys", action="store_true", help="make no key: every key is supplied (Kubernetes)")
args = parser.parse_args()

env = current_env(ROOT)
os.environ.update(env)  # settings of the set-up step read the same variables the processes get
logging.basicConfig(level=logging.WARNING)
logging.getLogger("aiormq").setLevel(logging.CRITICAL)  # setup reports an unreachable broker itself
credentials = ROOT / "var/demo-credentials.json"
run_set_up(demo=not args.no_demo, credentials_file=credentials, make_keys=not args.no_keys)
if args.command == "setup":
    sys.exit(0)


def announce_when_ready(url: str, demo: bool) -> None:
    """One clear line once the gateway answers (the processes take a while), then the demo morning."""
    deadline = time.monotonic() + READY_TIMEOUT_S
    while not gateway_ready(url):
        if time.monotonic() > deadline:
            print(f"not ready after {READY_TIMEOUT_S} s: see the processes' lines above", flush=True)
            return
        time.sleep(0.5)
    who = "operator (hotline), requester (portal), dispatcher, engineer, supervisor" if demo else "admin"
    print(
        f"\nready: open {url} — sign in as {who}; passwords above and in {credentials.relative_to(ROOT)}. "
        "Ctrl-C stops everything.\n",
        flush=True,
    )
    if demo:
        play_when_ready(url, credentials)


print("\nOpsDesk is starting; a 'ready' line follows when the gateway answers. Ctrl-C stops everything.")
if uses_sink(env):
    print(f"No Twilio credentials: SMS go to the local sink at {env['TWILIO_API_BASE_URL']} (development only).")
if uses_aliyun_sink(env):
    print(
        "OPSDESK_SMS_PROVIDER=aliyun without Aliyun keys: SMS go to the local Dysmsapi stand-in at "
        f"{env['ALIYUN_SMS_ENDPOINT']} (development only)."
    )
print()
env.setdefault("OPSDESK_LOG_FORMAT", "console")
manager = Manager(Printer(sys.stdout, colour=sys.stdout.isatty(), prefix=True))
for process in processes(env):
    manager.add_process(process.name, " ".join(process.argv), env=env)
# Beside honcho, not under it: honcho stops every process once any one of them exits.
threading.Thread(
    target=announce_when_ready, args=(env["OPSDESK_PUBLIC_URL"], not args.no_demo), name="ready", daemon=True
).start()
with interrupts_to_this_process():
    manager.loop()
sys.exit(0 if manager.returncode == INTERRUPTED else manager.returncode)
