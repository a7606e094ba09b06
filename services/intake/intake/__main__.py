from intake import migrate, worker
from intake.config import IntakeSettings
from opsdesk_shared.cli import run_cli

run_cli(
    IntakeSettings(),
    app_factory="intake.main:create_app",
    default_port=8101,
    worker=worker.run,
    migrate=migrate.run,
    port_env_hint="OPSDESK_INTAKE_PORT",
)
