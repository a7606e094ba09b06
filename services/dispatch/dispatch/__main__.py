from dispatch import migrate, worker
from dispatch.config import DispatchSettings
from dispatch.directory import handover
from opsdesk_shared.cli import run_cli

run_cli(
    DispatchSettings(),
    app_factory="dispatch.main:create_app",
    default_port=8102,
    worker=worker.run,
    migrate=migrate.run,
    port_env_hint="OPSDESK_DISPATCH_PORT",
    # The SLA timer runs in this worker and must fire within its bound whatever else the machine does.
    worker_may_wait=False,
    commands={
        "project-manager-handover": (
            "who held the old project-manager flag and still lacks the gateway's project_manager role",
            handover.print_pending,
        ),
    },
)
