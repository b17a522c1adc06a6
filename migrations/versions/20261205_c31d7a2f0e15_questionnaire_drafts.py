"""questionnaire drafts: a questionnaire being written in the browser's editor

Revision ID: c31d7a2f0e15
Revises: b0a4d5c6e7f8
Create Date: 2026-12-05 22:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "c31d7a2f0e15"
down_revision: str | None = "b0a4d5c6e7f8"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "questionnaire_draft",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partnership_id", sa.Integer(), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("started_from", sa.String(length=300), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("published_version_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["partnership_id"],
            ["partnership.id"],
            name=op.f("fk_questionnaire_draft_partnership_id_partnership"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["published_version_id"],
            ["questionnaire_version.id"],
            name=op.f("fk_questionnaire_draft_published_version_id_questionnaire_version"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["person.id"],
            name=op.f("fk_questionnaire_draft_updated_by_id_person"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_questionnaire_draft")),
    )
    with op.batch_alter_table("questionnaire_draft", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_questionnaire_draft_partnership_id"), ["partnership_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("questionnaire_draft", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_questionnaire_draft_partnership_id"))
    op.drop_table("questionnaire_draft")
