"""lead cycles and lost reasons: a lead's time from first contact to the first sale, lost or timed out, with its
source; each club's list of lost reasons, seeded with the defaults; every lead of today gets its open cycle
(issue 17)

Revision ID: e8c4b2a7f310
Revises: e5a8c2f7d1b4
Create Date: 2026-12-05 23:40:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'e8c4b2a7f310'
down_revision = 'e5a8c2f7d1b4'
branch_labels = None
depends_on = None

# As clubcrm.models.lead (a migration keeps its own copy: the models move on).
DEFAULT_LOST_REASONS = ("price", "distance", "schedule", "other_club", "no_answer", "not_interested")
SOURCES = ("walk_in", "phone", "web_form", "referral", "campaign", "import", "other")
OPEN = sa.text("ended_at IS NULL")


def upgrade():
    op.create_table(
        'lead_lost_reason',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('club_id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=32), nullable=False),
        sa.Column('label', sa.String(length=80), nullable=True),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['club_id'], ['club.id'], name='fk_lead_lost_reason_club_id_club'),
        sa.PrimaryKeyConstraint('id', name='pk_lead_lost_reason'),
        sa.UniqueConstraint('club_id', 'code', name='uq_lead_lost_reason_club_id_code'),
    )
    op.create_table(
        'lead_cycle',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('club_id', sa.Integer(), nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('source', sa.String(length=16), nullable=False),
        sa.Column('campaign', sa.String(length=80), nullable=True),
        sa.Column('referrer_member_id', sa.Integer(), nullable=True),
        sa.Column('assigned_staff_id', sa.Integer(), nullable=True),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('outcome', sa.String(length=8), nullable=True),
        sa.Column('lost_reason', sa.String(length=32), nullable=True),
        sa.Column('won_membership_id', sa.Integer(), nullable=True),
        sa.Column('ended_by_id', sa.Integer(), nullable=True),
        sa.CheckConstraint("outcome IS NULL OR outcome IN ('won', 'lost')", name='ck_lead_cycle_outcome_known'),
        sa.CheckConstraint('(ended_at IS NULL) = (outcome IS NULL)', name='ck_lead_cycle_ended_with_outcome'),
        sa.ForeignKeyConstraint(['club_id'], ['club.id'], name='fk_lead_cycle_club_id_club'),
        sa.ForeignKeyConstraint(['member_id'], ['member.id'], name='fk_lead_cycle_member_id_member'),
        sa.ForeignKeyConstraint(['referrer_member_id'], ['member.id'],
                                name='fk_lead_cycle_referrer_member_id_member'),
        sa.ForeignKeyConstraint(['assigned_staff_id'], ['staff.id'], name='fk_lead_cycle_assigned_staff_id_staff'),
        sa.ForeignKeyConstraint(['created_by_id'], ['staff.id'], name='fk_lead_cycle_created_by_id_staff'),
        sa.ForeignKeyConstraint(['won_membership_id'], ['membership.id'],
                                name='fk_lead_cycle_won_membership_id_membership'),
        sa.ForeignKeyConstraint(['ended_by_id'], ['staff.id'], name='fk_lead_cycle_ended_by_id_staff'),
        sa.PrimaryKeyConstraint('id', name='pk_lead_cycle'),
    )
    op.create_index('ix_lead_cycle_open_member_id', 'lead_cycle', ['member_id'], unique=True,
                    sqlite_where=OPEN, postgresql_where=OPEN)
    op.create_index('ix_lead_cycle_open_club_id_started_at', 'lead_cycle', ['club_id', 'started_at'],
                    sqlite_where=OPEN, postgresql_where=OPEN)
    op.create_index('ix_lead_cycle_member_id_started_at', 'lead_cycle', ['member_id', 'started_at'])

    # Every club that exists gets the default lost reasons (a club made later gets them when first asked).
    for code in DEFAULT_LOST_REASONS:
        op.execute(sa.text(
            "INSERT INTO lead_lost_reason (club_id, code, label, active, created_at) "
            "SELECT id, :code, NULL, :on, CURRENT_TIMESTAMP FROM club"
        ).bindparams(code=code, on=True))
    # Every lead of today (no sale yet, not erased) is in a cycle that began when they were registered; the
    # nightly timeout closes the ones older than LEAD_CYCLE_DAYS as lost, no answer.
    sources = ", ".join(f"'{source}'" for source in SOURCES)
    op.execute(
        "INSERT INTO lead_cycle (club_id, member_id, started_at, source, created_by_id) "
        f"SELECT club_id, id, created_at, CASE WHEN source IN ({sources}) THEN source ELSE 'other' END, "
        "created_by_id FROM member WHERE converted_at IS NULL AND erased_at IS NULL"
    )


def downgrade():
    op.drop_index('ix_lead_cycle_member_id_started_at', table_name='lead_cycle')
    op.drop_index('ix_lead_cycle_open_club_id_started_at', table_name='lead_cycle')
    op.drop_index('ix_lead_cycle_open_member_id', table_name='lead_cycle')
    op.drop_table('lead_cycle')
    op.drop_table('lead_lost_reason')
