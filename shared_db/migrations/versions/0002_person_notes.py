"""person notes kept by agents in the console

Revision ID: 0002_person_notes
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

import shared_db.types

revision = "0002_person_notes"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "person_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("author", sa.String(length=64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", shared_db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], name=op.f("fk_person_notes_person_id_people"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_notes")),
    )
    op.create_index(op.f("ix_person_notes_person_id"), "person_notes", ["person_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_person_notes_person_id"), table_name="person_notes")
    op.drop_table("person_notes")
