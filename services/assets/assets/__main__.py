from assets import migrate, worker
from assets.config import AssetsSettings
from opsdesk_shared.cli import run_cli

run_cli(
    AssetsSettings(),
    app_factory="assets.main:create_app",
    default_port=8105,
    worker=worker.run,
    migrate=migrate.run,
    port_env_hint="OPSDESK_ASSETS_PORT",
)
