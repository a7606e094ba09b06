from sqlmodel import SQLModel

import intake.knowledge.models  # noqa: F401  (the knowledge base's tables)
import intake.models  # noqa: F401  (registers intake's tables on the metadata)
import intake.monitoring.models  # noqa: F401  (monitoring alerts and their tickets)
from opsdesk_shared.migrations import run_env

run_env(SQLModel.metadata)
