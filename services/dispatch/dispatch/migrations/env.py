# Importing the models registers dispatch's tables on its metadata.
import dispatch.directory.models  # noqa: F401
import dispatch.duty.models  # noqa: F401
import dispatch.sla.models  # noqa: F401
import dispatch.workorders.models  # noqa: F401
from dispatch.base import Base
from opsdesk_shared.migrations import run_env

run_env(Base.metadata)
