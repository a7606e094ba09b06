# syntax=docker/dockerfile:1.7
# One target per part, so each is built and released alone:
#   docker build --target intake -t opsdesk/intake .
# Targets: gateway, intake, dispatch, notifications, reporting, assets, devstack (make run's setup and demo), twilio-sink.
# Each installs only its own package and what it depends on; dependencies in their own cached layer from
# uv.lock, before the source is copied.

FROM node:20-slim AS web-assets
WORKDIR /web
COPY gateway/gateway/web/package.json gateway/gateway/web/package-lock.json ./
RUN npm ci --no-audit --no-fund

FROM python:3.11-slim AS base
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never UV_PROJECT_ENVIRONMENT=/app/.venv
RUN pip install --no-cache-dir uv==0.13.9
RUN useradd --system --uid 10001 opsdesk
WORKDIR /app
# The workspace's manifests: every member's pyproject.toml, so uv resolves any one package from the lock.
COPY pyproject.toml uv.lock ./
COPY shared/pyproject.toml shared/
COPY gateway/pyproject.toml gateway/
COPY services/intake/pyproject.toml services/intake/
COPY services/dispatch/pyproject.toml services/dispatch/
COPY services/notifications/pyproject.toml services/notifications/
COPY services/reporting/pyproject.toml services/reporting/
COPY services/assets/pyproject.toml services/assets/
COPY tools/twilio_sink/pyproject.toml tools/twilio_sink/
COPY tools/aliyun_sink/pyproject.toml tools/aliyun_sink/
COPY tools/devstack/pyproject.toml tools/devstack/
COPY tools/backup/pyproject.toml tools/backup/
ENV PATH="/app/.venv/bin:${PATH}"
ENTRYPOINT ["python", "-m"]

# The Chinese font reporting embeds in its PDF reports; pg_dump and pg_restore for `python -m opsdesk_backup`.
FROM base AS base-with-tools
RUN apt-get update && apt-get install -y --no-install-recommends fonts-wqy-microhei postgresql-client \
 && rm -rf /var/lib/apt/lists/*

FROM base AS gateway
RUN --mount=type=cache,target=/root/.cache/uv uv sync --frozen --no-dev --no-install-workspace --package opsdesk-gateway
COPY shared shared
COPY gateway gateway
COPY --from=web-assets /web/node_modules gateway/gateway/web/node_modules
RUN --mount=type=cache,target=/root/.cache/uv uv sync --frozen --no-dev --package opsdesk-gateway
RUN mkdir -p /app/var /keys /var/lib/opsdesk/audit-archive && chown opsdesk /app/var /keys /var/lib/opsdesk/audit-archive
USER opsdesk
CMD ["gateway", "api", "--host", "0.0.0.0"]

FROM base AS intake
RUN --mount=type=cache,target=/root/.cache/uv uv sync --frozen --no-dev --no-install-workspace --package opsdesk-intake
COPY shared shared
COPY services/intake services/intake
RUN --mount=type=cache,target=/root/.cache/uv uv sync --frozen --no-dev --package opsdesk-intake
RUN mkdir -p /app/var && chown opsdesk /app/var
USER opsdesk
CMD ["intake", "api", "--host", "0.0.0.0", "--port", "8000"]

FROM base AS dispatch
RUN --mount=type=cache,target=/root/.cache/uv uv sync --frozen --no-dev --no-install-workspace --package opsdesk-dispatch
COPY shared shared
COPY services/dispatch services/dispatch
RUN --mount=type=cache,target=/root/.cache/uv uv sync --frozen --no-dev --package opsdesk-dispatch
RUN mkdir -p /app/var && chown opsdesk /app/var
USER opsdesk
CMD ["dispatch", "api", "--host", "0.0.0.0", "--port", "8000"]

FROM base AS notifications
RUN --mount=type=cache,target=/root/.cache/uv uv sync --frozen --no-dev --no-install-workspace --package opsdesk-notifications
COPY shared shared
COPY services/notifications services/notifications
RUN --mount=type=cache,target=/root/.cache/uv uv sync --frozen --no-dev --package opsdesk-notifications
RUN mkdir -p /app/var && chown opsdesk /app/var
USER opsdesk
CMD ["notifications", "api", "--host", "0.0.0.0", "--port", "8000"]

FROM base-with-tools AS reporting
RUN --mount=type=cache,target=/root/.cache/uv uv sync --frozen --no-dev --no-install-workspace --package opsdesk-reporting
COPY shared shared
COPY services/reporting services/reporting
RUN --mount=type=cache,target=/root/.cache/uv uv sync --frozen --no-dev --package opsdesk-reporting
RUN mkdir -p /app/var && chown opsdesk /app/var
USER opsdesk
CMD ["reporting", "api", "--host", "0.0.0.0", "--port", "8000"]

FROM base AS assets
RUN --mount=type=cache,target=/root/.cache/uv uv sync --frozen --no-dev --no-install-workspace --package opsdesk-assets
COPY shared shared
COPY services/assets services/assets
RUN --mount=type=cache,target=/root/.cache/uv uv sync --frozen --no-dev --package opsdesk-assets
RUN mkdir -p /app/var && chown opsdesk /app/var
USER opsdesk
CMD ["assets", "api", "--host", "0.0.0.0", "--port", "8000"]

FROM base AS twilio-sink
RUN --mount=type=cache,target=/root/.cache/uv uv sync --frozen --no-dev --no-install-workspace --package opsdesk-twilio-sink
COPY tools/twilio_sink tools/twilio_sink
RUN --mount=type=cache,target=/root/.cache/uv uv sync --frozen --no-dev --package opsdesk-twilio-sink
RUN mkdir -p /app/var && chown opsdesk /app/var
USER opsdesk
CMD ["twilio_sink", "--host", "0.0.0.0", "--port", "8109"]

FROM base-with-tools AS devstack
RUN --mount=type=cache,target=/root/.cache/uv uv sync --frozen --no-dev --no-install-workspace --package opsdesk-devstack
COPY shared shared
COPY gateway gateway
COPY services services
COPY tools tools
COPY --from=web-assets /web/node_modules gateway/gateway/web/node_modules
RUN --mount=type=cache,target=/root/.cache/uv uv sync --frozen --no-dev --package opsdesk-devstack
RUN mkdir -p /app/var /keys /var/lib/opsdesk/audit-archive && chown opsdesk /app/var /keys /var/lib/opsdesk/audit-archive
USER opsdesk
CMD ["devstack", "setup", "--no-demo"]
