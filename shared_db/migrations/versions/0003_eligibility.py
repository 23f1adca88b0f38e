"""eligibility that cannot be forwarded: personal invitations, verification, vaccine age bands, opening notices

Revision ID: 0003_eligibility
Revises: 0002_person_notes
"""
import sqlalchemy as sa
from alembic import op

import shared_db.types

revision = "0003_eligibility"
down_revision = "0002_person_notes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "opening_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_at", shared_db.types.UTCDateTime(), nullable=False),
        sa.Column("sent_at", shared_db.types.UTCDateTime(), nullable=True),
        sa.CheckConstraint("channel IN ('sms', 'callback', 'email')", name=op.f("ck_opening_notices_channel")),
        sa.CheckConstraint("status IN ('waiting', 'sent', 'withdrawn')", name=op.f("ck_opening_notices_status")),
        sa.ForeignKeyConstraint(["group_id"], ["priority_groups.id"],
                                name=op.f("fk_opening_notices_group_id_priority_groups")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opening_notices")),
    )
    op.create_index("ix_opening_notices_waiting", "opening_notices", ["status", "group_id"], unique=False)
    op.create_table(
        "vaccine_age_bands",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("vaccine_id", sa.Integer(), nullable=False),
        sa.Column("min_age", sa.Integer(), nullable=True),
        sa.Column("max_age", sa.Integer(), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["vaccine_id"], ["vaccines.id"], name=op.f("fk_vaccine_age_bands_vaccine_id_vaccines"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vaccine_age_bands")),
    )
    op.create_index(op.f("ix_vaccine_age_bands_vaccine_id"), "vaccine_age_bands", ["vaccine_id"], unique=False)
    op.add_column("bookings", sa.Column("verification", sa.String(length=10), nullable=True))
    with op.batch_alter_table("campaign_windows") as batch:
        batch.add_column(sa.Column("self_declared", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("cancelled_at", shared_db.types.UTCDateTime(), nullable=True))
    with op.batch_alter_table("campaign_windows") as batch:
        batch.alter_column("self_declared", server_default=None)
    _invitations_up()
    _notifications_channel(("sms", "voice", "email"), add_email=True)


def _invitations_up() -> None:
    """Personal codes: the shared facility codes of before (no name, no birth date) admit nobody any more."""
    with op.batch_alter_table("invitations") as batch:
        batch.add_column(sa.Column("name", sa.String(length=160), nullable=True))
        batch.add_column(sa.Column("phone", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("email", sa.String(length=254), nullable=True))
        batch.add_column(sa.Column("booking_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("sent_via", sa.String(length=6), nullable=True))
        batch.add_column(sa.Column("sent_at", shared_db.types.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("created_at", shared_db.types.UTCDateTime(), nullable=False,
                                   server_default=sa.func.current_timestamp()))
        batch.create_index(batch.f("ix_invitations_facility"), ["facility"], unique=False)
        batch.create_unique_constraint(batch.f("uq_invitations_booking_id"), ["booking_id"])
        batch.create_unique_constraint("uq_invitations_listed", ["facility", "name_key", "date_of_birth"])
        batch.create_foreign_key(batch.f("fk_invitations_booking_id_bookings"), "bookings", ["booking_id"], ["id"],
                                 ondelete="SET NULL")
        batch.drop_column("used")
    with op.batch_alter_table("invitations") as batch:
        batch.alter_column("created_at", server_default=None)


def _notifications_channel(channels: tuple[str, ...], add_email: bool) -> None:
    """Replace the channel check (e-mail joins SMS and voice); SQLite rebuilds the table without the old one."""
    check = "channel IN (" + ", ".join(f"'{c}'" for c in channels) + ")"
    sqlite = op.get_bind().dialect.name == "sqlite"
    with op.batch_alter_table("notifications", recreate="always" if sqlite else "auto") as batch:
        if add_email:
            batch.add_column(sa.Column("to_email", sa.String(length=254), nullable=True))
        else:
            batch.drop_column("to_email")
        if not sqlite:
            batch.drop_constraint(op.f("ck_notifications_channel"), type_="check")
        batch.create_check_constraint("channel", check)


def downgrade() -> None:
    op.execute("DELETE FROM notifications WHERE channel = 'email'")
    _notifications_channel(("sms", "voice"), add_email=False)
    with op.batch_alter_table("invitations") as batch:
        batch.add_column(sa.Column("used", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.drop_constraint(batch.f("fk_invitations_booking_id_bookings"), type_="foreignkey")
        batch.drop_constraint("uq_invitations_listed", type_="unique")
        batch.drop_constraint(batch.f("uq_invitations_booking_id"), type_="unique")
        batch.drop_index(batch.f("ix_invitations_facility"))
        for column in ("created_at", "sent_at", "sent_via", "booking_id", "email", "phone", "name"):
            batch.drop_column(column)
    with op.batch_alter_table("campaign_windows") as batch:
        batch.drop_column("cancelled_at")
        batch.drop_column("self_declared")
    op.drop_column("bookings", "verification")
    op.drop_index(op.f("ix_vaccine_age_bands_vaccine_id"), table_name="vaccine_age_bands")
    op.drop_table("vaccine_age_bands")
    op.drop_index("ix_opening_notices_waiting", table_name="opening_notices")
    op.drop_table("opening_notices")
