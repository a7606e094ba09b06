"""Events of the monitoring receiver (the assets service): alerts from Prometheus Alertmanager or a generic
webhook, one event per change of an alert (SPEC §2a 运行监测).

Intake turns them into tickets (channel `monitoring`): a firing alert that its rule lets open a ticket opens
one, or adds a line to the ticket its fingerprint already has (reopening it within the rule's window), or,
in a storm, to the ticket of the group's first alert; a resolved one adds "recovered at …" and, where the
rule says so, resolves the ticket. Reporting counts availability alerts' down intervals (设备在线率).
The receiver has decided everything that depends on its rules, its ledger and its maintenance windows: the
consumers follow the decision carried here.
"""

from datetime import datetime
from uuid import UUID

from opsdesk_shared.contracts.envelope import Event


class AlertChange(Event):
    alert_id: UUID  # the receiver's record of the alert
    source: str  # alertmanager, or the generic webhook's `source`
    fingerprint: str  # unique within the source
    alertname: str
    starts_at: datetime  # the episode: a new starts_at is a new firing of the same alert
    asset_id: UUID | None = None
    asset_tag: str | None = None  # as the alert named it, known to the ledger or not
    asset_known: bool = False
    asset_class: str | None = None
    unit_id: UUID | None = None
    unit_known: bool = False  # False: unit_id is the fallback unit, for a dispatcher to reclassify
    availability: bool = False  # an availability alert: its firing interval is the device's down time
    labels: dict[str, str] = {}


class AlertFiring(AlertChange):
    type = "monitoring.alert_firing"
    summary: str
    description: str | None = None
    generator_url: str | None = None
    severity: str | None = None
    priority: str  # vocabulary.Priority, from the rule's severity mapping
    category: str = "fault"  # vocabulary.Category
    kind_of_work: str | None = None
    opens_ticket: bool  # its rule opens tickets and no maintenance window covers it
    in_maintenance: bool = False
    # A storm: the fingerprint of the alert of the same group and notification whose ticket this one joins.
    group_lead: str | None = None
    auto_resolve: bool = False
    reopen_window_s: int = 0  # firing again within this long after its ticket was resolved reopens it


class AlertResolved(AlertChange):
    type = "monitoring.alert_resolved"
    ends_at: datetime
    auto_resolve: bool = False  # resolve the ticket as recovered by itself (never while work is in progress)
