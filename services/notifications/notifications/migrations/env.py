from sqlmodel import SQLModel

import notifications.models  # noqa: F401  (registers notifications' tables on the metadata)
from opsdesk_shared.migrations import run_env

run_env(SQLModel.metadata)
