"""membership.imported_at: the instant a contract came in from another system (issue 13)

The lifecycle engine paces a cycle's contacts from the day ClubCRM learned of it, so that a member who moved in
with a contract that started 300 days ago is not sent a year of missed contacts at once.

Revision ID: 7c1e5a9d2b40
Revises: b240ca01d43e
Create Date: 2026-12-04 11:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7c1e5a9d2b40'
down_revision = 'b240ca01d43e'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('membership', schema=None) as batch_op:
        batch_op.add_column(sa.Column('imported_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('membership', schema=None) as batch_op:
        batch_op.drop_column('imported_at')
