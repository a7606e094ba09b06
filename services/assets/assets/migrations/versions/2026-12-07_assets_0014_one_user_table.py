"""one table of the gateway's users: directory_person (names, units) folded into directory_user (roles, phones)

Both were fed by the same `user.*` events; the newer copy of each user wins.

Revision ID: assets_0014
Revises: assets_0012
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "assets_0014"
down_revision = "assets_0012"
branch_labels = None
depends_on = None

UUID = pg.UUID(as_uuid=True)


def upgrade() -> None:
    op.add_column("directory_user", sa.Column("username", sa.Text))
    op.add_column("directory_user", sa.Column("unit_id", UUID))
    op.execute(
        """
        UPDATE directory_user u
           SET username = p.username, unit_id = p.unit_id,
               display_name = CASE WHEN p.applied_version > u.applied_version THEN p.display_name
                                   ELSE u.display_name END
          FROM directory_person p
         WHERE p.id = u.id
        """
    )
    # Known by name only (the staff copy had not arrived): kept with no roles until the next user event, which
    # is applied as it is newer; applied_version 0 lets it in whatever its version.
    op.execute(
        """
        INSERT INTO directory_user (id, username, display_name, unit_id, applied_version)
        SELECT p.id, p.username, p.display_name, p.unit_id, 0
          FROM directory_person p
         WHERE NOT EXISTS (SELECT 1 FROM directory_user u WHERE u.id = p.id)
        """
    )
    # A staff copy that never had its name copy: its login name is not known until its next event.
    op.execute("UPDATE directory_user SET username = display_name WHERE username IS NULL")
    op.alter_column("directory_user", "username", nullable=False)
    op.drop_table("directory_person")


def downgrade() -> None:
    op.create_table(
        "directory_person",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("username", sa.Text, nullable=False),
        sa.Column("display_name", sa.Text, nullable=False),
        sa.Column("unit_id", UUID),
        sa.Column("applied_version", sa.Integer, nullable=False, server_default="0"),
    )
    op.execute(
        "INSERT INTO directory_person (id, username, display_name, unit_id, applied_version) "
        "SELECT id, username, display_name, unit_id, applied_version FROM directory_user"
    )
    op.drop_column("directory_user", "unit_id")
    op.drop_column("directory_user", "username")
