"""`python -m twilio_sink [--port 8109]`: the development Twilio sink."""

import argparse
import os

import uvicorn

from twilio_sink.app import SinkConfig, create_app

parser = argparse.ArgumentParser(prog="python -m twilio_sink")
parser.add_argument("--host", default="127.0.0.1")
parser.add_argument("--port", type=int, default=int(os.environ.get("OPSDESK_TWILIO_SINK_PORT", "8109")))
args = parser.parse_args()
config = SinkConfig(
    auth_token=os.environ.get("TWILIO_AUTH_TOKEN") or "opsdesk-dev-sink-token",
    account_sid=os.environ.get("TWILIO_ACCOUNT_SID") or None,
)
uvicorn.run(create_app(config), host=args.host, port=args.port, log_level="warning", timeout_graceful_shutdown=2)
