"""The domain's vocabulary, declared once: every service, event contract, API schema and label table uses
these enums instead of re-declaring the strings (SPEC §4 life cycle, §5 categories and priorities).

They are `StrEnum`s, so a value is also the plain string that goes on the wire and into the database: an
event written before this module existed still parses, and `Priority.P1 == "P1"`.
"""

from enum import StrEnum


class Category(StrEnum):
    FAULT = "fault"
    CONSULTATION = "consultation"
    SERVICE_REQUEST = "service_request"
    COMPLAINT = "complaint"


class Priority(StrEnum):
    P1 = "P1"
    P2 = "P2"
    P3 = "P3"
    P4 = "P4"


class Level(StrEnum):
    """Impact and urgency, which together give a priority (intake/tickets/priority.py)."""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class Channel(StrEnum):
    HOTLINE = "hotline"
    WEB = "web"
    API = "api"
    SMS = "sms"
    INSPECTION = "inspection"  # a finding of a daily inspection round (assets' inspection.finding_raised)
    MONITORING = "monitoring"  # an alert of the running-state monitoring (运行监测, SPEC §2a)

    VISIT = "visit"  # a hidden risk found on a user visit (回访), ticketed by the visitor


# Channels with no requester to text: the ticket comes from the vendor's own checks, so no SMS goes to a
# requester, and the desk (a dispatcher or the project manager) confirms the resolution, not a requester.
QUIET_CHANNELS = frozenset({Channel.INSPECTION, Channel.MONITORING})


class TicketStatus(StrEnum):
    NEW = "new"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    ON_SITE = "on_site"
    PENDING = "pending"
    RESOLVED = "resolved"
    CLOSED = "closed"
    REOPENED = "reopened"
    CANCELLED = "cancelled"


OPEN_STATUSES = frozenset(
    {TicketStatus.NEW, TicketStatus.ASSIGNED, TicketStatus.IN_PROGRESS, TicketStatus.ON_SITE, TicketStatus.REOPENED}
)


class Skill(StrEnum):
    """What an engineer can do; dispatch matches a ticket's kind of work to these."""

    HARDWARE = "hardware"
    SOFTWARE = "software"
    NETWORK = "network"
    DATABASE = "database"
    SECURITY = "security"


class WorkKind(StrEnum):
    """A ticket's kind of work (its `subcategory`): dispatch matches it to engineers' skills; `training` is
    the bureau asking the vendor to train its administrators and users (a `service_request`)."""

    HARDWARE = "hardware"
    SOFTWARE = "software"
    NETWORK = "network"
    DATA = "data"
    ACCOUNT = "account"
    SECURITY = "security"
    TRAINING = "training"


class AssetClass(StrEnum):
    """What a piece of equipment in the ledger is (设备类别, SPEC §2a: equipment classified by type)."""

    SERVER = "server"
    STORAGE = "storage"
    SWITCH = "switch"
    ROUTER = "router"
    FIREWALL = "firewall"
    CARD_PRINTER = "card_printer"  # 制证机
    ID_CARD_READER = "id_card_reader"
    TERMINAL_PC = "terminal_pc"
    PRINTER = "printer"
    UPS = "ups"
    AIR_CONDITIONER = "air_conditioner"  # machine-room air conditioning
    APPLICATION_SYSTEM = "application_system"
    OTHER = "other"


class AssetStatus(StrEnum):
    IN_SERVICE = "in_service"
    FAULTY = "faulty"
    UNDER_REPAIR = "under_repair"
    OFF_SITE = "off_site"  # taken off the bureau's premises, with a recorded approval (SPEC §2)
    RETIRED = "retired"


class Criticality(StrEnum):
    """How much of the bureau's business stops when the equipment does."""

    CRITICAL = "critical"
    IMPORTANT = "important"
    NORMAL = "normal"


VOCABULARY: tuple[type[StrEnum], ...] = (
    Category,
    Priority,
    Level,
    Channel,
    TicketStatus,
    Skill,
    WorkKind,
    AssetClass,
    AssetStatus,
    Criticality,
)


# A spare-parts catalogue number (备件编号) as both assets (the catalogue) and dispatch (a work order's parts)
# accept it: letters, digits and . _ / - , up to 40 characters; kept upper case (pydantic checks the pattern
# before `to_upper`, so it admits lower case).
PART_NUMBER_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,39}$"
