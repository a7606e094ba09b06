import notifications.models  # noqa: F401  (registers notifications' tables on the metadata)
from opsdesk_shared.migrations import run_env
from sqlmodel import SQLModel

run_env(SQLModel.metadata)
