"""the mail delivery queue: workers' claims (lease), backoff, GOV.UK Notify's status, and the
bulk actions whose emails a coordinator watches go out

Revision ID: c3a9e1d2f4b6
Revises: c31d7a2f0e15
Create Date: 2026-12-05 22:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'c3a9e1d2f4b6'
down_revision: str | None = 'c31d7a2f0e15'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'mail_action',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('partnership_id', sa.Integer(), nullable=False),
        sa.Column('description', sa.String(length=200), nullable=False),
        sa.Column('back_to', sa.String(length=300), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['partnership_id'], ['partnership.id'], name=op.f('fk_mail_action_partnership_id_partnership'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_mail_action')),
    )
    with op.batch_alter_table('mail_action', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mail_action_partnership_id'), ['partnership_id'], unique=False)

    with op.batch_alter_table('sent_email', schema=None) as batch_op:
        batch_op.add_column(sa.Column('action_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('claimed_by', sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column('claimed_until', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('provider_id', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('provider_status', sa.String(length=40), nullable=True))
        batch_op.create_index(batch_op.f('ix_sent_email_action_id'), ['action_id'], unique=False)
        batch_op.create_index('ix_sent_email_due', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_sent_email_action_id_mail_action'), 'mail_action', ['action_id'], ['id'], ondelete='SET NULL')


def downgrade() -> None:
    op.execute("UPDATE sent_email SET status = 'sent' WHERE status = 'delivered'")
    with op.batch_alter_table('sent_email', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_sent_email_action_id_mail_action'), type_='foreignkey')
        batch_op.drop_index('ix_sent_email_due')
        batch_op.drop_index(batch_op.f('ix_sent_email_action_id'))
        batch_op.drop_column('provider_status')
        batch_op.drop_column('provider_id')
        batch_op.drop_column('claimed_until')
        batch_op.drop_column('claimed_by')
        batch_op.drop_column('next_attempt_at')
        batch_op.drop_column('action_id')

    with op.batch_alter_table('mail_action', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mail_action_partnership_id'))
    op.drop_table('mail_action')
