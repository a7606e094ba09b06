from sqlmodel import SQLModel

import reporting.models  # noqa: F401  (registers reporting's tables on the metadata)
from opsdesk_shared.migrations import run_env

run_env(SQLModel.metadata)
