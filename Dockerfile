# syntax=docker/dockerfile:1.7
# One image pattern for every part: PACKAGE names the workspace member to install, e.g.
#   docker build --build-arg PACKAGE=opsdesk-intake -t opsdesk/intake .
# Dependencies are installed in their own cached layer from uv.lock, before the source is copied.

FROM node:20-slim AS web-assets
WORKDIR /web
COPY gateway/gateway/web/package.json gateway/gateway/web/package-lock.json ./
RUN npm ci --no-audit --no-fund

FROM python:3.11-slim AS app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never UV_PROJECT_ENVIRONMENT=/app/.venv
RUN pip install --no-cache-dir uv==0.13.9
# The Chinese font reporting embeds in its PDF reports; pg_dump and pg_restore for `python -m opsdesk_backup`.
RUN apt-get update && apt-get install -y --no-install-recommends fonts-wqy-microhei postgresql-client && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ARG PACKAGE=opsdesk-devstack
COPY pyproject.toml uv.lock ./
COPY shared/pyproject.toml shared/
COPY gateway/pyproject.toml gateway/
COPY services/intake/pyproject.toml services/intake/
COPY services/dispatch/pyproject.toml services/dispatch/
COPY services/notifications/pyproject.toml services/notifications/
COPY services/reporting/pyproject.toml services/reporting/
COPY services/assets/pyproject.toml services/assets/
COPY tools/twilio_sink/pyproject.toml tools/twilio_sink/
COPY tools/devstack/pyproject.toml tools/devstack/
COPY tools/backup/pyproject.toml tools/backup/
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-install-workspace --package "${PACKAGE}"
COPY shared shared
COPY gateway gateway
COPY services services
COPY tools tools
COPY --from=web-assets /web/node_modules gateway/gateway/web/node_modules
RUN --mount=type=cache,target=/root/.cache/uv uv sync --frozen --no-dev --package "${PACKAGE}"
RUN useradd --system --uid 10001 opsdesk && mkdir -p /app/var /keys /var/lib/opsdesk/audit-archive \
 && chown opsdesk /app/var /keys /var/lib/opsdesk/audit-archive
USER opsdesk
ENV PATH="/app/.venv/bin:${PATH}"
ENTRYPOINT ["python", "-m"]
