from sqlmodel import SQLModel

import dispatch.sla.models  # noqa: F401  (registers dispatch's tables on the metadata)
from opsdesk_shared.migrations import run_env

run_env(SQLModel.metadata)
