"""``handoffs.packet_version``: the version of the JSON packet format stored in ``handoffs.packet``.

Rows written before it exist hold version 1 packets, which the server default gives them; new code
writes the version it stores.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add ``packet_version`` (NOT NULL, default 1); a plain ``ADD COLUMN``, no table rebuild on SQLite."""
    with op.batch_alter_table("handoffs") as batch:
        batch.add_column(sa.Column("packet_version", sa.Integer, nullable=False, server_default="1"))


def downgrade() -> None:
    """Drop ``packet_version`` (SQLite rebuilds ``handoffs`` to do it)."""
    with op.batch_alter_table("handoffs") as batch:
        batch.drop_column("packet_version")
