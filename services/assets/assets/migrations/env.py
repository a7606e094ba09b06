# Importing the models registers the assets service's tables on its metadata.
import assets.directory.models  # noqa: F401
import assets.inspections.models  # noqa: F401
import assets.ledger.idempotency  # noqa: F401
import assets.ledger.models  # noqa: F401
import assets.measures.models  # noqa: F401
import assets.monitoring.models  # noqa: F401
import assets.spares.models  # noqa: F401
import assets.technical.models  # noqa: F401
import assets.training.models  # noqa: F401
import assets.visits.models  # noqa: F401
from assets.db import Base
from opsdesk_shared.migrations import run_env

run_env(Base.metadata)
