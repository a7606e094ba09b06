"""phone numbers encrypted at rest (opsdesk_shared/personal_data.py): the columns in PHONE_COLUMNS below

The columns stay text; what they hold becomes `v1:` ciphertext under the key in OPSDESK_PII_KEY_FILE.

Revision ID: notifications_0003
Revises: notifications_0002
"""

from opsdesk_shared.personal_data import decrypt_in_place, encrypt_in_place

revision = "notifications_0003"
down_revision = "notifications_0002"
branch_labels = None
depends_on = None

PHONE_COLUMNS = [
    ("sms_message", "recipient"),
    ("sms_opt_out", "phone"),
    ("sms_inbound", "from_phone"),
    ("ticket_contact", "requester_phone"),
]


def upgrade() -> None:
    encrypt_in_place(PHONE_COLUMNS)


def downgrade() -> None:
    decrypt_in_place(PHONE_COLUMNS)
