"""the `ticket_duplicate` rule: a duplicate's requester is told the number their request continues as

Revision ID: notifications_0008
Revises: notifications_0007
Create Date: 2026-12-07
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "notifications_0008"
down_revision = "notifications_0007"
branch_labels = None
depends_on = None

# The text as first shipped (later edits are data, made through the API).
BODY = "您报修的工单{number}与工单{survivor_number}重复，将在工单{survivor_number}中继续处理，请以该单号查询进度。"


def upgrade() -> None:
    template = sa.table(
        "sms_template",
        sa.column("code", sa.Text),
        sa.column("trigger", sa.Text),
        sa.column("body", sa.Text),
        sa.column("updated_at", sa.DateTime(timezone=True)),
    )
    rule = sa.table(
        "sms_rule", sa.column("trigger", sa.Text), sa.column("template_code", sa.Text), sa.column("enabled", sa.Boolean)
    )
    at = datetime.now(UTC)
    op.bulk_insert(
        template, [{"code": "ticket_duplicate", "trigger": "ticket_duplicate", "body": BODY, "updated_at": at}]
    )
    op.bulk_insert(rule, [{"trigger": "ticket_duplicate", "template_code": "ticket_duplicate", "enabled": True}])


def downgrade() -> None:
    op.execute("DELETE FROM sms_rule WHERE trigger = 'ticket_duplicate'")
    op.execute("DELETE FROM sms_template WHERE code = 'ticket_duplicate'")
