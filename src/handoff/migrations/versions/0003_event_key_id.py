"""``handoff_events.key_id``: which API key did what (the non-secret key id; NULL for the service itself).

Events written before it have no key id: the column is nullable and they keep NULL.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add ``key_id`` (nullable); a plain ``ADD COLUMN``, no table rebuild on SQLite."""
    with op.batch_alter_table("handoff_events") as batch:
        batch.add_column(sa.Column("key_id", sa.String(16), nullable=True))


def downgrade() -> None:
    """Drop ``key_id``."""
    with op.batch_alter_table("handoff_events") as batch:
        batch.drop_column("key_id")
