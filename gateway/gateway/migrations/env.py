# Importing the models registers the gateway's tables on its metadata.
import gateway.admin.models
import gateway.auth.models
import gateway.saved_views.models  # noqa: F401
from gateway.base import Base
from opsdesk_shared.migrations import run_env

run_env(Base.metadata)
