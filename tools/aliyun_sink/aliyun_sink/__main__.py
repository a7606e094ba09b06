"""`python -m aliyun_sink [--port 8110]`: the development stand-in for Alibaba Cloud SMS (Dysmsapi)."""

import argparse
import os

import uvicorn

from aliyun_sink.app import SinkConfig, create_app

parser = argparse.ArgumentParser(prog="python -m aliyun_sink")
parser.add_argument("--host", default="127.0.0.1")
parser.add_argument("--port", type=int, default=int(os.environ.get("OPSDESK_ALIYUN_SINK_PORT", "8110")))
args = parser.parse_args()
config = SinkConfig(
    access_key_id=os.environ.get("ALIYUN_ACCESS_KEY_ID") or "LTAI-opsdesk-dev-sink",
    access_key_secret=os.environ.get("ALIYUN_ACCESS_KEY_SECRET") or "opsdesk-dev-aliyun-sink-secret",
    report_url=os.environ.get("OPSDESK_ALIYUN_SINK_REPORT_URL") or None,
    up_url=os.environ.get("OPSDESK_ALIYUN_SINK_UP_URL") or None,
)
uvicorn.run(create_app(config), host=args.host, port=args.port, log_level="warning", timeout_graceful_shutdown=2)
