"""Baseline: the hand-off store as TicketBuddy created it before schema migrations.

Written out column by column (not ``metadata.create_all``) so that it stays what it was when later
revisions change ``tables.py``. A database created before migrations holds exactly this schema and is
stamped ``0001`` instead of running it (see ``ticketbuddy.handoff.migrate``).

Revision ID: 0001
Revises: none
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

#: Times are timezone-aware (``tables.UtcDateTime`` stores naive UTC on SQLite).
UTC_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create ``handoffs``, ``tickets`` and ``handoff_events`` with their constraints and indexes."""
    _create_handoffs()
    _create_tickets()
    _create_handoff_events()


def downgrade() -> None:
    """Drop the three tables (every hand-off with them)."""
    op.drop_table("handoff_events")
    op.drop_table("tickets")
    op.drop_table("handoffs")


def _create_handoffs() -> None:
    op.create_table(
        "handoffs",
        sa.Column("handoff_id", sa.String(32), primary_key=True),
        sa.Column("ticket_id", sa.String(128), nullable=False),
        sa.Column("customer_id", sa.String(128)),
        sa.Column("route", sa.String(64), nullable=False),
        sa.Column("team", sa.String(64), nullable=False),
        sa.Column("team_name", sa.String(200), nullable=False),
        sa.Column("priority", sa.String(2), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("sla_minutes", sa.Integer, nullable=False),
        sa.Column("chain_step", sa.Integer, nullable=False),
        sa.Column("sla_breaches", sa.Integer, nullable=False),
        sa.Column("due_by", UTC_TIME, nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("updated_at", UTC_TIME, nullable=False),
        sa.Column("last_message_at", UTC_TIME, nullable=False),
        sa.Column("claimed_by", sa.String(128)),
        sa.Column("claimed_at", UTC_TIME),
        sa.Column("resolved_at", UTC_TIME),
        sa.Column("outcome", sa.String(16)),
        sa.Column("note", sa.Text),
        sa.Column("idempotency_key", sa.String(255)),
        sa.Column("model_name", sa.String(128)),
        sa.Column("model_version", sa.String(32)),
        sa.Column("ticket", sa.JSON, nullable=False),
        sa.Column("packet", sa.JSON, nullable=False),
        sa.CheckConstraint("status IN ('queued', 'claimed', 'resolved')", name="ck_handoffs_status"),
        sa.CheckConstraint(
            "outcome IS NULL OR outcome IN ('needed', 'not_needed')", name="ck_handoffs_outcome"
        ),
        sa.UniqueConstraint("ticket_id"),
        sa.UniqueConstraint("idempotency_key"),
    )
    op.create_index("ix_handoffs_customer", "handoffs", ["customer_id", "status"])
    op.create_index("ix_handoffs_due", "handoffs", ["status", "due_by"])
    op.create_index("ix_handoffs_queue", "handoffs", ["status", "priority", "created_at"])


def _create_tickets() -> None:
    op.create_table(
        "tickets",
        sa.Column("ticket_id", sa.String(128), primary_key=True),
        sa.Column("customer_id", sa.String(128)),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("last_message_at", UTC_TIME, nullable=False),
        sa.Column("last_seen_at", UTC_TIME, nullable=False),
        sa.Column("handoff_id", sa.String(32)),
        sa.Column("ticket", sa.JSON, nullable=False),
    )
    op.create_index("ix_tickets_handoff_id", "tickets", ["handoff_id"])
    op.create_index("ix_tickets_seen", "tickets", ["last_seen_at"])
    op.create_index("ix_tickets_customer", "tickets", ["customer_id", "last_message_at"])


def _create_handoff_events() -> None:
    op.create_table(
        "handoff_events",
        sa.Column("event_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("handoff_id", sa.String(32), sa.ForeignKey("handoffs.handoff_id"), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("at", UTC_TIME, nullable=False),
        sa.Column("actor", sa.String(128)),
        sa.Column("from_team", sa.String(64)),
        sa.Column("to_team", sa.String(64)),
        sa.Column("detail", sa.Text),
    )
    op.create_index("ix_handoff_events_handoff_id", "handoff_events", ["handoff_id"])
