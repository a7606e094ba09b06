"""the engineer's assignment SMS says where and whom to ask for: the requester's name kept with the ticket

The stored template is updated only where it is still the text first shipped: an admin's edit stays.

Revision ID: notifications_0007
Revises: notifications_0006
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "notifications_0007"
down_revision = "notifications_0006"
branch_labels = None
depends_on = None

OLD = "新工单{number}：{title}，请于{expected_arrival}前到场。"
NEW = "新工单{number}：{title}，地点{place}，联系人{contact_name} {contact_phone}，请于{expected_arrival}前到场。"


def _swap(old: str, new: str) -> None:
    op.execute(
        sa.text(
            "UPDATE sms_template SET body = :new, updated_at = now() WHERE code = :code AND body = :old"
        ).bindparams(new=new, old=old, code="assignment_to_engineer")
    )


def upgrade() -> None:
    op.add_column("ticket_contact", sa.Column("requester_name", sa.Text, nullable=True))
    _swap(OLD, NEW)


def downgrade() -> None:
    _swap(NEW, OLD)
    op.drop_column("ticket_contact", "requester_name")
