"""report_refresh.generation: a random number drawn anew by each recompute, so that a web worker can keep a report
page's rendered figures while they are the same figures (the refresh row is updated in place; its instants alone
do not tell two recomputes apart when the clock is pinned)

Revision ID: d7f3a1c5e9b2
Revises: c3a9d5e7f214
Create Date: 2026-12-05 23:30:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'd7f3a1c5e9b2'
down_revision = 'c3a9d5e7f214'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('report_refresh', schema=None) as batch_op:
        batch_op.add_column(sa.Column('generation', sa.BigInteger(), nullable=True))


def downgrade():
    with op.batch_alter_table('report_refresh', schema=None) as batch_op:
        batch_op.drop_column('generation')
