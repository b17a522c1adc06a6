"""retention periods, cleared rounds and job claims

Revision ID: 4e05aa400b6a
Revises: 2f62c3787605
Create Date: 2026-12-04 08:16:23.116829
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '4e05aa400b6a'
down_revision: str | None = '2f62c3787605'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    
    op.create_table('operation_claim',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('claimed_by', sa.String(length=200), nullable=True),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_operation_claim'))
    )
    with op.batch_alter_table('cycle', schema=None) as batch_op:
        batch_op.add_column(sa.Column('retention_applied_at', sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table('partnership', schema=None) as batch_op:
        batch_op.add_column(sa.Column('retention_years', sa.Integer(), server_default='6', nullable=False))




def downgrade() -> None:
    
    with op.batch_alter_table('partnership', schema=None) as batch_op:
        batch_op.drop_column('retention_years')

    with op.batch_alter_table('cycle', schema=None) as batch_op:
        batch_op.drop_column('retention_applied_at')

    op.drop_table('operation_claim')

