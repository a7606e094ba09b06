"""phone numbers encrypted at rest: app_user.phone (opsdesk_shared/personal_data.py)

The columns stay text; what they hold becomes `v1:` ciphertext under the key in OPSDESK_PII_KEY_FILE.

Revision ID: gateway_0006
Revises: gateway_0005
"""

from opsdesk_shared.personal_data import decrypt_in_place, encrypt_in_place

revision = "gateway_0006"
down_revision = "gateway_0005"
branch_labels = None
depends_on = None

PHONE_COLUMNS = [("app_user", "phone")]


def upgrade() -> None:
    encrypt_in_place(PHONE_COLUMNS)


def downgrade() -> None:
    decrypt_in_place(PHONE_COLUMNS)
