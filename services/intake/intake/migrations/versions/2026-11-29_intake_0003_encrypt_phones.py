"""phone numbers encrypted at rest (opsdesk_shared/personal_data.py): the columns in PHONE_COLUMNS below

The columns stay text; what they hold becomes `v1:` ciphertext under the key in OPSDESK_PII_KEY_FILE.

Revision ID: intake_0003
Revises: intake_0002
"""

from opsdesk_shared.personal_data import decrypt_in_place, encrypt_in_place

revision = "intake_0003"
down_revision = "intake_0002"
branch_labels = None
depends_on = None

PHONE_COLUMNS = [("ticket", "requester_phone"), ("known_user", "phone"), ("call", "caller_phone")]


def upgrade() -> None:
    encrypt_in_place(PHONE_COLUMNS)


def downgrade() -> None:
    decrypt_in_place(PHONE_COLUMNS)
