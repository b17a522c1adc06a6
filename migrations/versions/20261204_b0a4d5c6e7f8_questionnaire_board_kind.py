"""the kind of board a published questionnaire version is for (children or adults)

Revision ID: b0a4d5c6e7f8
Revises: 4e05aa400b6a
Create Date: 2026-12-04 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "b0a4d5c6e7f8"
down_revision: str | None = "4e05aa400b6a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("questionnaire_version", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("board", sa.String(length=20), server_default="children", nullable=False)
        )
    # Versions published before the key existed: the shipped adults board tool is the only
    # adults one there can be.
    op.execute(
        "UPDATE questionnaire_version SET board = 'adults' "
        "WHERE questionnaire_id = 'sab-self-assessment'"
    )


def downgrade() -> None:
    with op.batch_alter_table("questionnaire_version", schema=None) as batch_op:
        batch_op.drop_column("board")
