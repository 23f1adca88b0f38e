"""the appointment's whole life: check-in, outcomes, deliveries, care-home visits, centre staff, retention

Revision ID: 0005_lifecycle
Revises: 0003_eligibility
"""
import sqlalchemy as sa
from alembic import op

import shared_db.types

revision = "0005_lifecycle"
down_revision = "0003_eligibility"
branch_labels = None
depends_on = None

OLD_ROLES = "role IN ('agent', 'supervisor', 'admin')"
NEW_ROLES = "role IN ('agent', 'supervisor', 'admin', 'centre')"


def upgrade() -> None:
    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("centre_id", sa.Integer(), nullable=False),
        sa.Column("vaccine_id", sa.Integer(), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("doses", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("updated_at", shared_db.types.UTCDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.CheckConstraint("doses >= 0", name=op.f("ck_deliveries_doses")),
        sa.CheckConstraint("status IN ('expected', 'delivered')", name=op.f("ck_deliveries_status")),
        sa.ForeignKeyConstraint(["centre_id"], ["centres.id"], name=op.f("fk_deliveries_centre_id_centres")),
        sa.ForeignKeyConstraint(["vaccine_id"], ["vaccines.id"], name=op.f("fk_deliveries_vaccine_id_vaccines")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deliveries")),
        sa.UniqueConstraint("centre_id", "vaccine_id", "week_start", name="uq_deliveries_week"),
    )
    op.create_table(
        "care_home_visits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("centre_id", sa.Integer(), nullable=False),
        sa.Column("vaccine_id", sa.Integer(), nullable=False),
        sa.Column("home_name", sa.String(length=160), nullable=False),
        sa.Column("home_address", sa.String(length=200), nullable=False),
        sa.Column("first_slot_id", sa.Integer(), nullable=False),
        sa.Column("second_slot_id", sa.Integer(), nullable=True),
        sa.Column("created_at", shared_db.types.UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["centre_id"], ["centres.id"], name=op.f("fk_care_home_visits_centre_id_centres")),
        sa.ForeignKeyConstraint(["vaccine_id"], ["vaccines.id"],
                                name=op.f("fk_care_home_visits_vaccine_id_vaccines")),
        sa.ForeignKeyConstraint(["first_slot_id"], ["slots.id"],
                                name=op.f("fk_care_home_visits_first_slot_id_slots")),
        sa.ForeignKeyConstraint(["second_slot_id"], ["slots.id"],
                                name=op.f("fk_care_home_visits_second_slot_id_slots")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_care_home_visits")),
    )
    # Plain ADD COLUMNs (no table rebuild on SQLite, which would have to re-create the partial indexes).
    for name in ("first_given_at", "second_given_at", "ended_at"):
        op.add_column("bookings", sa.Column(name, shared_db.types.UTCDateTime(), nullable=True))
    for name in ("first_batch", "second_batch"):
        op.add_column("bookings", sa.Column(name, sa.String(length=40), nullable=True))
    _add_visit_id()
    op.create_index(op.f("ix_bookings_ended_at"), "bookings", ["ended_at"], unique=False)
    op.create_index(op.f("ix_bookings_visit_id"), "bookings", ["visit_id"], unique=False)
    # Bookings that ended before this revision: from their cancellation, or their last appointment.
    op.execute("UPDATE bookings SET ended_at = cancelled_at WHERE status = 'cancelled'")
    op.execute("UPDATE bookings SET ended_at = (SELECT starts_at FROM slots WHERE slots.id = "
               "COALESCE(bookings.second_slot_id, bookings.first_slot_id)) "
               "WHERE status IN ('completed', 'no_show')")
    op.add_column("purge_records", sa.Column("details", sa.JSON(), nullable=True))
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("centre_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f("fk_users_centre_id_centres"), "centres", ["centre_id"], ["id"])
        batch.drop_constraint(op.f("ck_users_role"), type_="check")
        batch.create_check_constraint(op.f("ck_users_role"), NEW_ROLES)
        batch.create_check_constraint(op.f("ck_users_centre_staff"), "role != 'centre' OR centre_id IS NOT NULL")


def _add_visit_id() -> None:
    """bookings.visit_id with its foreign key; SQLite takes the reference inline in ADD COLUMN."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE bookings ADD COLUMN visit_id INTEGER CONSTRAINT "
                   "fk_bookings_visit_id_care_home_visits REFERENCES care_home_visits (id)")
        return
    op.add_column("bookings", sa.Column("visit_id", sa.Integer(), nullable=True))
    op.create_foreign_key(op.f("fk_bookings_visit_id_care_home_visits"), "bookings", "care_home_visits",
                          ["visit_id"], ["id"])


def downgrade() -> None:
    op.execute("DELETE FROM users WHERE role = 'centre'")
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint(op.f("ck_users_centre_staff"), type_="check")
        batch.drop_constraint(op.f("ck_users_role"), type_="check")
        batch.create_check_constraint(op.f("ck_users_role"), OLD_ROLES)
        batch.drop_constraint(op.f("fk_users_centre_id_centres"), type_="foreignkey")
        batch.drop_column("centre_id")
    op.drop_column("purge_records", "details")
    op.drop_index(op.f("ix_bookings_visit_id"), table_name="bookings")
    op.drop_index(op.f("ix_bookings_ended_at"), table_name="bookings")
    with op.batch_alter_table("bookings") as batch:
        for name in ("visit_id", "first_given_at", "second_given_at", "ended_at", "first_batch", "second_batch"):
            batch.drop_column(name)
    op.drop_table("care_home_visits")
    op.drop_table("deliveries")
