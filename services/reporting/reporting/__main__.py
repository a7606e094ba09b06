from opsdesk_shared.cli import run_cli
from reporting import migrate, worker
from reporting.config import ReportingSettings

run_cli(
    ReportingSettings(),
    app_factory="reporting.main:create_app",
    default_port=8104,
    worker=worker.run,
    migrate=migrate.run,
    port_env_hint="OPSDESK_REPORTING_PORT",
)
