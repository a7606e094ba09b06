from opsdesk_shared.cli import run_cli
from reporting import migrate, rebuild, worker
from reporting.config import ReportingSettings

run_cli(
    ReportingSettings(),
    app_factory="reporting.main:create_app",
    default_port=8104,
    worker=worker.run,
    migrate=migrate.run,
    port_env_hint="OPSDESK_REPORTING_PORT",
    commands={"rebuild": ("recompute the read model from the kept events, with a progress bar", rebuild.run)},
)
