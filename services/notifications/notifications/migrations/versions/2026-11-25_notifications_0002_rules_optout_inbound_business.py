"""rules and templates as data, opt-outs, inbound replies, ticket contacts, business requests

Revision ID: notifications_0002
Revises: notifications_0001
Create Date: 2026-11-25
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "notifications_0002"
down_revision = "notifications_0001"
branch_labels = None
depends_on = None

UUID = pg.UUID(as_uuid=True)
TS = sa.DateTime(timezone=True)
# The texts as first shipped (a snapshot: later edits are data, made through the API).
DEFAULT_TEMPLATES = {
    "ticket_accepted": "您的报修已受理，工单号{number}，我们将尽快安排处理。",
    "engineer_assigned": (
        "工单{number}已派工程师{engineer_name}（电话{engineer_phone}），预计{expected_arrival}前到达。"
    ),
    "assignment_to_engineer": "新工单{number}：{title}，请于{expected_arrival}前到场。",
    "public_comment": "工单{number}有新回复：{comment}",
    "ticket_pending": "工单{number}暂停处理，需要您协助：{reason}",
    "ticket_resolved": "工单{number}已处理完毕。回复1确认解决，回复2表示仍未解决。",
    "sla_warning": "预警：工单{number}的{metric}时限将于{due_at}到期。",
    "sla_breached": "超时：工单{number}的{metric}时限已于{due_at}超时，请立即处理。",
}


def upgrade() -> None:
    op.add_column("sms_message", sa.Column("client_id", UUID))
    op.add_column("sms_message", sa.Column("urgent", sa.Boolean, nullable=False, server_default=sa.false()))
    op.create_index("sms_message_recipient_created_idx", "sms_message", ["recipient", "created_at"])
    template = op.create_table(
        "sms_template",
        sa.Column("code", sa.Text, primary_key=True),
        sa.Column("trigger", sa.Text),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    rule = op.create_table(
        "sms_rule",
        sa.Column("trigger", sa.Text, primary_key=True),
        sa.Column("template_code", sa.Text, sa.ForeignKey("sms_template.code"), nullable=False),
        sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
    )
    op.create_table(
        "sms_opt_out",
        sa.Column("phone", sa.Text, primary_key=True),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("at", TS, nullable=False),
    )
    op.create_table(
        "sms_inbound",
        sa.Column("sid", sa.Text, primary_key=True),
        sa.Column("from_phone", sa.Text, nullable=False, index=True),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("intent", sa.Text, nullable=False),
        sa.Column("ticket_id", UUID),
        sa.Column("at", TS, nullable=False),
    )
    op.create_table(
        "ticket_contact",
        sa.Column("ticket_id", UUID, primary_key=True),
        sa.Column("number", sa.Text, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("requester_phone", sa.Text, nullable=False, index=True),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("status_at", TS, nullable=False),
        sa.Column("resolved_at", TS),
    )
    op.create_table(
        "sms_request",
        sa.Column("client_id", UUID, primary_key=True),
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("request_hash", sa.Text, nullable=False),
        sa.Column("message_ids", sa.JSON, nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    now = datetime.now(UTC)
    # Every trigger starts with its default template, switched on; admins change them through the API.
    op.bulk_insert(
        template,
        [{"code": name, "trigger": name, "body": body, "updated_at": now} for name, body in DEFAULT_TEMPLATES.items()],
    )
    op.bulk_insert(rule, [{"trigger": name, "template_code": name, "enabled": True} for name in DEFAULT_TEMPLATES])


def downgrade() -> None:
    for table in ("sms_request", "ticket_contact", "sms_inbound", "sms_opt_out", "sms_rule", "sms_template"):
        op.drop_table(table)
    op.drop_index("sms_message_recipient_created_idx", table_name="sms_message")
    op.drop_column("sms_message", "urgent")
    op.drop_column("sms_message", "client_id")
