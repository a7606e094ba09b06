"""Improvement measures (改进措施) and their history: every step with who, when and what it carried."""

from datetime import date, datetime
from uuid import UUID, uuid4

from sqlalchemy import ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column

from assets.db import Base


class Measure(Base):
    """A measure as it stands; how it got there is in `measure_step`."""

    __tablename__ = "measure"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    title: Mapped[str] = mapped_column(Text)
    problem: Mapped[str] = mapped_column(Text)
    proposal: Mapped[str] = mapped_column(Text)
    # Where it came from: a finding (and so its round), a round, or neither (proposed freely).
    finding_id: Mapped[UUID | None] = mapped_column(ForeignKey("inspection_finding.id"), index=True)
    round_id: Mapped[UUID | None] = mapped_column(ForeignKey("inspection_round.id"), index=True)
    # Or a hidden risk found on a user visit (one measure per risk).
    visit_id: Mapped[UUID | None] = mapped_column(ForeignKey("visit.id"), index=True)
    visit_risk_id: Mapped[UUID | None] = mapped_column(ForeignKey("visit_risk.id"), unique=True, index=True)
    state: Mapped[str] = mapped_column(Text, index=True)  # rules.MeasureState
    planned_on: Mapped[date | None]
    proposed_at: Mapped[datetime]
    proposed_by: Mapped[UUID]
    proposed_by_name: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(server_default="1")


class MeasureStep(Base):
    """One step of a measure's life: appended, never changed."""

    __tablename__ = "measure_step"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    measure_id: Mapped[UUID] = mapped_column(ForeignKey("measure.id"), index=True)
    action: Mapped[str] = mapped_column(Text)  # propose, or a rules.MeasureAction
    from_state: Mapped[str | None] = mapped_column(Text)
    to_state: Mapped[str] = mapped_column(Text)
    comment: Mapped[str | None] = mapped_column(Text)
    planned_on: Mapped[date | None]
    at: Mapped[datetime]
    by: Mapped[UUID]
    by_name: Mapped[str] = mapped_column(Text)
