from notifications import migrate, worker
from notifications.config import NotificationsSettings
from opsdesk_shared.cli import run_cli

run_cli(
    NotificationsSettings(),
    app_factory="notifications.main:create_app",
    default_port=8103,
    worker=worker.run,
    migrate=migrate.run,
    port_env_hint="OPSDESK_NOTIFICATIONS_PORT",
)
