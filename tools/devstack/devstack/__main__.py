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
from devstack.setup import run_set_up
from devstack.stack import current_env, processes, uses_sink

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

print(f"\nOpsDesk is starting: open {env['OPSDESK_PUBLIC_URL']} (API docs at /api/docs). Ctrl-C stops everything.")
if uses_sink(env):
    print(f"No Twilio credentials: SMS go to the local sink at {env['TWILIO_API_BASE_URL']} (development only).")
print()
env.setdefault("OPSDESK_LOG_FORMAT", "console")
manager = Manager(Printer(sys.stdout, colour=sys.stdout.isatty(), prefix=True))
for process in processes(env):
    manager.add_process(process.name, " ".join(process.argv), env=env)
if not args.no_demo:
    # Beside honcho, not under it: honcho stops every process once any one of them exits.
    threading.Thread(
        target=play_when_ready, args=(env["OPSDESK_PUBLIC_URL"], credentials), name="demo-activity", daemon=True
    ).start()
manager.loop()
sys.exit(manager.returncode)
