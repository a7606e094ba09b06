from sqlmodel import SQLModel

import gateway.models  # noqa: F401  (registers the gateway's tables on the metadata)
from opsdesk_shared.migrations import run_env

run_env(SQLModel.metadata)
