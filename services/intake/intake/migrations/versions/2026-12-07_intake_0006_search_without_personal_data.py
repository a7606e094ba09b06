"""the ticket search text without the requester's name, for roles that see it masked (privacy.py), with
its own trigram index

Revision ID: intake_0006
Revises: intake_0005
"""

from alembic import op

revision = "intake_0006"
down_revision = "intake_0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "ALTER TABLE ticket ADD COLUMN search_text_without_personal_data text GENERATED ALWAYS AS ("
        "number || ' ' || title || ' ' || description || ' ' || "
        "coalesce(asset_tag, '') || ' ' || coalesce(location, '')) STORED"
    )
    op.execute(
        "CREATE INDEX ticket_search_without_personal_data_trgm_idx ON ticket "
        "USING gin (search_text_without_personal_data gin_trgm_ops)"
    )


def downgrade() -> None:
    op.execute("ALTER TABLE ticket DROP COLUMN search_text_without_personal_data")
