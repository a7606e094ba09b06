"""phone numbers encrypted at rest: staff_member.phone (opsdesk_shared/personal_data.py)

The columns stay text; what they hold becomes `v1:` ciphertext under the key in OPSDESK_PII_KEY_FILE.

Revision ID: dispatch_0003
Revises: dispatch_0002
"""

from opsdesk_shared.personal_data import decrypt_in_place, encrypt_in_place

revision = "dispatch_0003"
down_revision = "dispatch_0002"
branch_labels = None
depends_on = None

PHONE_COLUMNS = [("staff_member", "phone")]


def upgrade() -> None:
    encrypt_in_place(PHONE_COLUMNS)


def downgrade() -> None:
    decrypt_in_place(PHONE_COLUMNS)
