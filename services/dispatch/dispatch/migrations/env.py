from sqlmodel import SQLModel

# Importing the models registers dispatch's tables on the metadata.
import dispatch.directory.models  # noqa: F401
import dispatch.duty.models  # noqa: F401
import dispatch.sla.models  # noqa: F401
import dispatch.workorders.models  # noqa: F401
from opsdesk_shared.migrations import run_env

run_env(SQLModel.metadata)
