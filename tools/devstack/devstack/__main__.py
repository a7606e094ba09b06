"""`python -m devstack setup|run`: what `make run` does."""

import argparse
import logging
import os
import sys
import threading
from pathlib import Path

from honcho.manager import Manager
from honcho.printer import Printer

from devstack.demo_activity import play_when_ready
from devstack.ready import announce_when_ready
from devstack.setup import run_set_up
from devstack.stack import current_env, processes, uses_aliyun_sink, uses_sink
from devstack.terminal import interrupts_to_this_process

# What honcho's manager returns when Ctrl-C (SIGINT) stopped it: the normal way to end `make run`.
INTERRUPTED = 130

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
url = env["OPSDESK_PUBLIC_URL"]
threading.Thread(
    target=announce_when_ready,
    args=(url,),
    kwargs={
        "demo": not args.no_demo,
        "credentials": credentials.relative_to(ROOT),
        "say": lambda line: print(line, flush=True),
        "then": (lambda: play_when_ready(url, credentials)) if not args.no_demo else None,
    },
    name="ready",
    daemon=True,
).start()
with interrupts_to_this_process():
    manager.loop()
sys.exit(0 if manager.returncode == INTERRUPTED else manager.returncode)
