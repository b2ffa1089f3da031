"""``scorings`` and ``feedback``: what each scoring decided, and every verdict on it (given or inferred).

New tables only: existing rows are untouched, and the monitor simply starts counting from the upgrade.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

#: Times are timezone-aware (``tables.UtcDateTime`` stores naive UTC on SQLite).
UTC_TIME = sa.DateTime(timezone=True)

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create ``scorings`` and ``feedback`` with their indexes."""
    op.create_table(
        "scorings",
        sa.Column("scoring_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("ticket_id", sa.String(128), nullable=False),
        sa.Column("customer_id", sa.String(128)),
        sa.Column("at", UTC_TIME, nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("tier", sa.String(32)),
        sa.Column("escalated", sa.Boolean, nullable=False),
        sa.Column("handed_over", sa.Boolean, nullable=False),
        sa.Column("handoff_id", sa.String(32)),
        sa.Column("probability", sa.Float),
        sa.Column("threshold", sa.Float),
        sa.Column("priority", sa.String(2)),
        sa.Column("route", sa.String(64)),
        sa.Column("rules_only", sa.Boolean, nullable=False),
        sa.Column("model_version", sa.String(32)),
        sa.Column("families", sa.String(500), nullable=False),
        sa.Column("sentiment_last", sa.Float),
        sa.Column("customer_turns", sa.Integer, nullable=False),
        sa.Column("customer_chars", sa.Integer, nullable=False),
        sa.Column("key_id", sa.String(16)),
    )
    op.create_index("ix_scorings_ticket", "scorings", ["ticket_id", "at"])
    op.create_index("ix_scorings_customer", "scorings", ["customer_id", "at"])
    op.create_index("ix_scorings_at", "scorings", ["at"])
    op.create_table(
        "feedback",
        sa.Column("feedback_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("ticket_id", sa.String(128), nullable=False),
        sa.Column("at", UTC_TIME, nullable=False),
        sa.Column("should_have_escalated", sa.Boolean, nullable=False),
        sa.Column("route", sa.String(64)),
        sa.Column("priority", sa.String(2)),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("evidence", sa.JSON),
        sa.Column("key_id", sa.String(16)),
        sa.CheckConstraint(
            "source IN ('agent', 'qa', 'csat', 'customer', 'inferred')", name="ck_feedback_source"
        ),
    )
    op.create_index("ix_feedback_ticket", "feedback", ["ticket_id", "at"])
    op.create_index("ix_feedback_at", "feedback", ["at"])


def downgrade() -> None:
    """Drop both tables."""
    op.drop_table("feedback")
    op.drop_table("scorings")
