# OpsDesk: `make run` starts the whole system with demo data; `make test` runs the tests.
# Both set everything up first and are safe to repeat.

SHELL := /bin/bash
PYTHON ?= python3.11
UV_VERSION := 0.13.9
UV := $(shell command -v uv 2>/dev/null || echo "$(PYTHON) -m uv")
VENV := .venv
PY := $(VENV)/bin/python
WEB := gateway/gateway/web
export UV_PYTHON_DOWNLOADS := never

.PHONY: setup run test test-unit test-fast bench lint uv backup restore

REPORT_FONT := /usr/share/fonts/truetype/wqy/wqy-microhei.ttc
# The web UI's browser tests drive Debian's Chromium (Playwright cannot download its own here).
CHROMIUM := /usr/bin/chromium

# The monitoring drill runs the real Prometheus, Alertmanager and blackbox exporter, and the tests check
# deploy/monitoring/ with their own promtool and amtool.
PROMETHEUS := /usr/bin/prometheus /usr/bin/prometheus-alertmanager /usr/bin/prometheus-blackbox-exporter

setup: $(VENV)/.synced $(WEB)/node_modules/.package-lock.json $(REPORT_FONT) $(CHROMIUM) $(PROMETHEUS)

uv:
	@command -v uv >/dev/null 2>&1 || $(PYTHON) -m uv --version >/dev/null 2>&1 \
	  || $(PYTHON) -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

$(VENV)/.synced: uv.lock pyproject.toml */pyproject.toml services/*/pyproject.toml tools/*/pyproject.toml | uv
	$(UV) sync --frozen --all-packages --python $(PYTHON)
	@touch $@

# The Chinese font embedded in PDF reports (reporting's OPSDESK_REPORT_FONT_PATH may point elsewhere).
$(REPORT_FONT):
	@if [ -n "$$OPSDESK_REPORT_FONT_PATH" ] && [ -f "$$OPSDESK_REPORT_FONT_PATH" ]; then exit 0; fi; \
	if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q fonts-wqy-microhei >/dev/null \
	  || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q fonts-wqy-microhei >/dev/null; }; \
	else \
	  echo "PDF reports need a Chinese TrueType font: install fonts-wqy-microhei or set OPSDESK_REPORT_FONT_PATH" >&2; exit 1; \
	fi

$(CHROMIUM):
	@if [ -n "$$OPSDESK_CHROMIUM" ] && [ -x "$$OPSDESK_CHROMIUM" ]; then exit 0; fi; \
	if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null \
	  || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null; }; \
	else \
	  echo "the web UI's tests need Chromium: install Debian's chromium or set OPSDESK_CHROMIUM" >&2; exit 1; \
	fi

$(PROMETHEUS):
	@if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	  pkgs="prometheus prometheus-alertmanager prometheus-blackbox-exporter"; \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$pkgs >/dev/null \
	  || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$pkgs >/dev/null; }; \
	else \
	  echo "the monitoring tests need Debian's prometheus, prometheus-alertmanager and prometheus-blackbox-exporter" >&2; exit 1; \
	fi

$(WEB)/node_modules/.package-lock.json: $(WEB)/package-lock.json
	cd $(WEB) && npm ci --no-audit --no-fund --loglevel=error

run: setup
	$(PY) -m devstack run

# The tests start with the static checks (ruff, and mypy on what is typed): a red check fails the run early.
test: setup
	$(PY) -m ruff check .
	$(MYPY_ALL)
	$(PY) -m pytest

# The unit tier: pure domain modules, no servers, in seconds.
test-unit: setup
	$(PY) -m pytest -m unit shared/tests/unit gateway/tests/unit services/*/tests/unit

test-fast: setup
	$(PY) -m pytest --ignore=tests/e2e

bench: setup
	$(PY) -m bench

# Every service database into var/backups/<time>; `make restore FROM=var/backups/<time>` into empty ones.
backup: setup
	$(PY) -m opsdesk_backup dump

restore: setup
	@test -n "$(FROM)" || { echo "usage: make restore FROM=var/backups/<time>" >&2; exit 2; }
	$(PY) -m opsdesk_backup restore --from "$(FROM)"

# What the type checker covers: each package joins when its `# type: ignore`s are gone (the one-shape issue).
TYPED := shared/opsdesk_shared gateway/gateway services/reporting/reporting services/dispatch/dispatch services/notifications/notifications services/assets/assets services/intake/intake
# Each tests folder is checked in a run of its own: every one holds a `tests.conftest` (and `tests.unit`), which
# one mypy run cannot hold twice.
TYPED_TESTS := shared/tests gateway/tests services/intake/tests services/dispatch/tests services/notifications/tests services/reporting/tests services/assets/tests tools/backup/tests tools/devstack/tests tools/aliyun_sink/tests tools/twilio_sink/tests tests
MYPY_ALL = $(PY) -m mypy $(TYPED) && for tests in $(TYPED_TESTS); do $(PY) -m mypy $$tests || exit 1; done

lint: setup
	$(PY) -m ruff check .
	$(MYPY_ALL)
