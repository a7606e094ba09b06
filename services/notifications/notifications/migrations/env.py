# Importing the models registers notifications' tables on its metadata.
import notifications.business.models  # noqa: F401
import notifications.inbound.models  # noqa: F401
import notifications.messages.models  # noqa: F401
import notifications.rules.models  # noqa: F401
from notifications.base import Base
from opsdesk_shared.migrations import run_env

run_env(Base.metadata)
