from sqlmodel import SQLModel

import intake.models  # noqa: F401  (registers intake's tables on the metadata)
from opsdesk_shared.migrations import run_env

run_env(SQLModel.metadata)
