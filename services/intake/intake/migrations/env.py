# Importing the models registers intake's tables on its metadata (autogenerate must see every one).
import intake.attachments.models  # noqa: F401
import intake.calls.models  # noqa: F401
import intake.canned_replies.models  # noqa: F401
import intake.directory.models  # noqa: F401
import intake.findings.models  # noqa: F401
import intake.knowledge.models  # noqa: F401
import intake.ledger.models  # noqa: F401
import intake.monitoring.models  # noqa: F401
import intake.tickets.models  # noqa: F401
from intake.base import Base
from opsdesk_shared.migrations import run_env

run_env(Base.metadata)
