"""A week of service-desk life as events, and the figures it must produce, computed here in plain
Python from the same records (not by the SQL under test).

Tickets get random categories, priorities, channels and units, then a random fate: left new, assigned,
on site, resolved remotely at once, resolved on site, closed with a rating, reopened. SLA clocks start
with every ticket and are met or breached by the fate's times against 2 h arrival / 4 h resolution.
"""

import random
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from opsdesk_shared.contracts.dispatch import (
    AttendanceClockedIn,
    AttendanceClockedOut,
    ClockSnapshot,
    ShiftScheduled,
    SlaBreached,
    SlaCancelled,
    SlaMet,
    SlaStarted,
    WorkOrderArrived,
    WorkOrderAssigned,
    WorkOrderResolved,
)
from opsdesk_shared.contracts.envelope import Event
from opsdesk_shared.contracts.gateway import UnitCreated
from opsdesk_shared.contracts.intake import (
    CallLogged,
    TicketClosed,
    TicketCreated,
    TicketReopened,
    TicketResolved,
    TicketStatusChanged,
)
from opsdesk_shared.contracts.notifications import SmsDelivered, SmsFailed, SmsSent

LOCAL = ZoneInfo("Asia/Shanghai")
ARRIVAL_S, RESOLUTION_S = 7200, 14400
FATES = ("new", "assigned", "on_site", "remote", "resolved", "closed", "reopened")


@dataclass
class Ticket:
    id: uuid.UUID
    number: str
    category: str
    priority: str
    channel: str
    unit: uuid.UUID
    created_at: datetime
    fate: str
    status: str = "new"
    arrived_s: int | None = None
    resolved_s: int | None = None
    remote: bool = False
    assigned: bool = False
    rating: int | None = None
    reopened: bool = False
    clocks: dict[str, str] = field(default_factory=dict)  # metric -> met | breached | running | cancelled
    cost: Decimal | None = None


@dataclass
class Roster:
    rostered: int = 0
    attended: int = 0
    missed: int = 0  # rostered shifts that have ended with no clock-in
    late: int = 0
    days: set[date] = field(default_factory=set)
    hours: float = 0.0


@dataclass
class Scenario:
    first_day: date
    units: dict[str, uuid.UUID]
    tickets: list[Ticket]
    events: list[Event]
    attendance: dict[str, "Roster"]  # by display name
    sms: Counter[str]
    calls: int

    # Ground truth -----------------------------------------------------------------------------------
    def count_by(self, attr: str, tickets: list[Ticket] | None = None) -> dict[str, int]:
        return dict(Counter(str(getattr(t, attr)) for t in (tickets if tickets is not None else self.tickets)))

    def in_units(self, *units: uuid.UUID) -> list[Ticket]:
        return [t for t in self.tickets if t.unit in units]

    def clocks(self, metric: str, tickets: list[Ticket] | None = None) -> Counter[str]:
        return Counter(t.clocks[metric] for t in (tickets if tickets is not None else self.tickets))

    def durations(self, kind: str) -> list[int]:
        values = [t.arrived_s if kind == "arrive" else t.resolved_s for t in self.tickets]
        return sorted(v for v in values if v is not None)


def _at(day: date, rng: random.Random) -> datetime:
    local = datetime(day.year, day.month, day.day, 8, 0, tzinfo=LOCAL) + timedelta(minutes=rng.randrange(0, 13 * 60))
    return local.astimezone(UTC).replace(microsecond=0)


def build(first_day: date, seed: int = 7, n: int = 48) -> Scenario:
    rng = random.Random(seed)
    root, east, station, west = (uuid.uuid4() for _ in range(4))
    units = {"root": root, "east": east, "station": station, "west": west}
    events: list[Event] = [
        UnitCreated(unit_id=root, code=f"R{seed}", name="市局", kind="bureau", parent_id=None, path=[root]),
        UnitCreated(
            unit_id=east, code=f"E{seed}", name="东区分局", kind="sub_bureau", parent_id=root, path=[root, east]
        ),
        UnitCreated(
            unit_id=station,
            code=f"S{seed}",
            name="东湖派出所",
            kind="police_station",
            parent_id=east,
            path=[root, east, station],
        ),
        UnitCreated(
            unit_id=west, code=f"W{seed}", name="西区分局", kind="sub_bureau", parent_id=root, path=[root, west]
        ),
    ]
    tickets = []
    for i in range(n):
        t = Ticket(
            id=uuid.uuid4(),
            number=f"{first_day:%Y%m%d}-{i + 1:04d}",
            category=rng.choice(["fault", "fault", "consultation", "service_request", "complaint"]),
            priority=rng.choice(["P1", "P2", "P3", "P3", "P4"]),
            channel=rng.choice(["hotline", "web", "web", "api"]),
            unit=rng.choice([east, station, west]),
            created_at=_at(first_day + timedelta(days=rng.randrange(7)), rng),
            fate=FATES[i % len(FATES)],
        )
        tickets.append(t)
        events += _life(t, rng)
    attendance: dict[str, Roster] = {}
    now = datetime.now(UTC)
    for name in (f"王工{seed}", f"李工{seed}", f"赵工{seed}"):
        user, roster = uuid.uuid4(), Roster()
        for d in range(7):
            day = first_day + timedelta(days=d)
            starts = datetime(day.year, day.month, day.day, 9, 0, tzinfo=LOCAL).astimezone(UTC)
            ends = starts + timedelta(hours=8)
            shift_id = uuid.uuid4()
            events.append(
                ShiftScheduled(
                    shift_id=shift_id,
                    post_id=uuid.uuid4(),
                    post_name="驻场运维",
                    user_id=user,
                    display_name=name,
                    starts_at=starts,
                    ends_at=ends,
                )
            )
            roster.rostered += 1
            if rng.random() >= 0.6:
                roster.missed += int(ends <= now)
                continue
            late = rng.random() < 0.3
            clock_in = starts + timedelta(minutes=25 if late else 0)
            clock_out = clock_in + timedelta(hours=rng.choice([8, 9]))
            common = dict(
                attendance_id=uuid.uuid4(), user_id=user, display_name=name, shift_id=shift_id, clock_in_at=clock_in
            )
            events.append(AttendanceClockedIn(**common))
            events.append(AttendanceClockedOut(**common, clock_out_at=clock_out))
            roster.attended += 1
            roster.late += int(late)
            roster.days.add(day)
            roster.hours += (clock_out - clock_in).total_seconds() / 3600
        attendance[name] = roster
    sms: Counter[str] = Counter()
    for _ in range(30):
        status = rng.choice(["sent", "sent", "delivered", "failed"])
        cls = {"sent": SmsSent, "delivered": SmsDelivered, "failed": SmsFailed}[status]
        events.append(
            cls(
                message_id=uuid.uuid4(),
                to_masked="138****0000",
                status=status,
                segments=1,
                at=_at(first_day + timedelta(days=rng.randrange(7)), rng),
            )
        )
        sms[status] += 1
    calls = 9
    for _ in range(calls):
        events.append(
            CallLogged(
                call_id=uuid.uuid4(),
                caller_phone="+8613800138000",
                direction="inbound",
                started_at=_at(first_day + timedelta(days=rng.randrange(7)), rng),
                outcome="ticket_created",
            )
        )
    return Scenario(first_day, units, tickets, events, attendance, sms, calls)


def _life(t: Ticket, rng: random.Random) -> list[Event]:
    created = TicketCreated(
        ticket_id=t.id,
        number=t.number,
        title=f"打印机故障 {t.number}",
        category=t.category,
        priority=t.priority,
        status="new",
        unit_id=t.unit,
        channel=t.channel,
        requester_name="张*",
        requester_phone="+8613800138000",
        created_at=t.created_at,
    )
    step = dict(ticket_id=t.id, number=t.number, unit_id=t.unit, requester_name="张*", requester_phone="+8613800138000")
    events: list[Event] = [created]
    clock_ids = {m: uuid.uuid4() for m in ("arrival", "resolution")}
    events.append(
        SlaStarted(
            ticket_id=t.id,
            policy_id=uuid.uuid4(),
            policy_name="fault",
            clocks=[
                ClockSnapshot(
                    metric="arrival",
                    state="running",
                    started_at=t.created_at,
                    due_at=t.created_at + timedelta(seconds=ARRIVAL_S),
                ),
                ClockSnapshot(
                    metric="resolution",
                    state="running",
                    started_at=t.created_at,
                    due_at=t.created_at + timedelta(seconds=RESOLUTION_S),
                ),
            ],
        )
    )
    t.clocks = {"arrival": "running", "resolution": "running"}
    status_at = t.created_at
    engineer = uuid.uuid4()

    def move(to: str, at: datetime) -> None:
        nonlocal status_at
        events.append(
            TicketStatusChanged(ticket_id=t.id, number=t.number, from_status=t.status, to_status=to, changed_at=at)
        )
        t.status, status_at = to, at

    def clock(metric: str, elapsed_s: int) -> None:
        due = t.created_at + timedelta(seconds=ARRIVAL_S if metric == "arrival" else RESOLUTION_S)
        cid = clock_ids[metric]
        if elapsed_s > (due - t.created_at).total_seconds():
            events.append(
                SlaBreached(ticket_id=t.id, clock_id=cid, metric=metric, due_at=due, fired_at=due, breached_at=due)
            )
            t.clocks[metric] = "breached"
        else:
            events.append(
                SlaMet(
                    ticket_id=t.id,
                    clock_id=cid,
                    metric=metric,
                    due_at=due,
                    stopped_at=t.created_at + timedelta(seconds=elapsed_s),
                    elapsed_seconds=elapsed_s,
                )
            )
            t.clocks[metric] = "met"

    wo = dict(
        work_order_id=uuid.uuid4(), ticket_id=t.id, ticket_number=t.number, engineer_id=engineer, engineer_name="王工"
    )
    if t.fate == "new":
        return events
    if t.fate == "remote":
        resolved_s = rng.randrange(120, 1800)
        at = t.created_at + timedelta(seconds=resolved_s)
        move("resolved", at)
        events.append(TicketResolved(**step, at=at, remote=True))
        t.resolved_s, t.remote = resolved_s, True
        events.append(
            SlaCancelled(
                ticket_id=t.id,
                clock_id=clock_ids["arrival"],
                metric="arrival",
                due_at=t.created_at + timedelta(seconds=ARRIVAL_S),
                cancelled_at=at,
                reason="resolved remotely",
            )
        )
        t.clocks["arrival"] = "cancelled"
        clock("resolution", resolved_s)
        return events
    assigned_at = t.created_at + timedelta(minutes=rng.randrange(2, 20))
    events.append(WorkOrderAssigned(**wo, status="assigned", at=assigned_at))
    t.assigned = True
    move("assigned", assigned_at)
    if t.fate == "assigned":
        return events
    arrived_s = rng.randrange(1800, 3 * 3600)
    arrived_at = t.created_at + timedelta(seconds=arrived_s)
    events.append(WorkOrderArrived(**wo, status="on_site", at=arrived_at))
    t.arrived_s = arrived_s
    move("on_site", arrived_at)
    clock("arrival", arrived_s)
    if t.fate == "on_site":
        return events
    resolved_s = arrived_s + rng.randrange(600, 3 * 3600)
    resolved_at = t.created_at + timedelta(seconds=resolved_s)
    move("resolved", resolved_at)
    events.append(TicketResolved(**step, at=resolved_at, remote=False))
    t.resolved_s = resolved_s
    clock("resolution", resolved_s)
    cost = rng.choice([Decimal("0.00"), Decimal("350.50"), Decimal("10000.00"), Decimal("10000.01")])
    events.append(
        WorkOrderResolved(
            **wo,
            status="resolved",
            at=resolved_at,
            remote=False,
            resolution_code="hardware",
            summary="更换硬盘",
            total_cost=cost,
            cost_borne_by="vendor" if cost <= 10000 else "bureau",
        )
    )
    t.cost = cost
    if t.fate == "resolved":
        return events
    closed_at = resolved_at + timedelta(hours=1)
    if t.fate == "reopened":
        move("reopened", closed_at)
        events.append(TicketReopened(**step, at=closed_at, reason="还是打不开"))
        t.reopened = True
        return events
    t.rating = rng.randrange(1, 6)
    move("closed", closed_at)
    events.append(TicketClosed(**step, at=closed_at, rating=t.rating))
    return events
