"""ticket news merged per number: which messages are ticket news, their ticket's number, the SMS that carried them

Ticket news (a requester's or engineer's SMS about a ticket) is exempt from the per-number hourly limit and
merged with the other news due to the same number within OPSDESK_SMS_MERGE_WINDOW_S (notifications/merging.py).

Revision ID: notifications_0006
Revises: notifications_0005
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "notifications_0006"
down_revision = "notifications_0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("sms_message", sa.Column("ticket_news", sa.Boolean, nullable=False, server_default=sa.false()))
    op.add_column("sms_message", sa.Column("ticket_number", sa.Text))
    op.add_column(
        "sms_message", sa.Column("merged_into", pg.UUID(as_uuid=True), sa.ForeignKey("sms_message.id"), nullable=True)
    )
    op.create_index("sms_message_merged_into_idx", "sms_message", ["merged_into"])
    # The sender looks up a number's ticket news (what is due, what was last sent) at each claim.
    op.create_index(
        "sms_message_ticket_news_idx",
        "sms_message",
        ["recipient", "created_at"],
        postgresql_where=sa.text("ticket_news"),
    )


def downgrade() -> None:
    op.drop_index("sms_message_ticket_news_idx", table_name="sms_message")
    op.drop_index("sms_message_merged_into_idx", table_name="sms_message")
    op.drop_column("sms_message", "merged_into")
    op.drop_column("sms_message", "ticket_number")
    op.drop_column("sms_message", "ticket_news")
