"""lead touchpoints: a touchpoint, an SMS and a tool's draw may belong to a lead's cycle instead of a membership, so
that the lifecycle engine's lead tools plan contacts and draw holdouts for leads; a staff task gains a due instant
beside its day (a lead's first call is due one opening hour after the lead came) (issue 17)

Revision ID: 82e4f0dd5817
Revises: e8c4b2a7f310
Create Date: 2026-12-06 02:32:35.549313

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '82e4f0dd5817'
down_revision = 'e8c4b2a7f310'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('assignment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lead_cycle_id', sa.Integer(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_assignment_lead_cycle_id_tool_key'),
                                          ['lead_cycle_id', 'tool_key'])
        batch_op.create_foreign_key(batch_op.f('fk_assignment_lead_cycle_id_lead_cycle'), 'lead_cycle',
                                    ['lead_cycle_id'], ['id'])
        batch_op.create_check_constraint(batch_op.f('ck_assignment_lead_cycle'),
                                         "kind <> 'lead' OR lead_cycle_id IS NOT NULL")

    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lead_cycle_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_message_lead_cycle_id_lead_cycle'), 'lead_cycle',
                                    ['lead_cycle_id'], ['id'])

    with op.batch_alter_table('touchpoint', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lead_cycle_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('due_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.alter_column('membership_id', existing_type=sa.INTEGER(), nullable=True)
        batch_op.create_unique_constraint(batch_op.f('uq_touchpoint_lead_cycle_id_rule_id_occurrence'),
                                          ['lead_cycle_id', 'rule_id', 'occurrence'])
        batch_op.create_foreign_key(batch_op.f('fk_touchpoint_lead_cycle_id_lead_cycle'), 'lead_cycle',
                                    ['lead_cycle_id'], ['id'])
        batch_op.create_check_constraint(batch_op.f('ck_touchpoint_one_cycle'),
                                         '(membership_id IS NULL) <> (lead_cycle_id IS NULL)')


def downgrade():
    # The leads' contacts have no membership to stand under: they go (their staff contacts keep the outcome).
    op.execute("UPDATE staff_contact SET touchpoint_id = NULL WHERE touchpoint_id IN "
               "(SELECT id FROM touchpoint WHERE lead_cycle_id IS NOT NULL)")
    op.execute("UPDATE message SET touchpoint_id = NULL WHERE touchpoint_id IN "
               "(SELECT id FROM touchpoint WHERE lead_cycle_id IS NOT NULL)")
    op.execute("DELETE FROM touchpoint WHERE lead_cycle_id IS NOT NULL")
    op.execute("DELETE FROM assignment WHERE lead_cycle_id IS NOT NULL")
    with op.batch_alter_table('touchpoint', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_touchpoint_one_cycle'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_touchpoint_lead_cycle_id_lead_cycle'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_touchpoint_lead_cycle_id_rule_id_occurrence'), type_='unique')
        batch_op.alter_column('membership_id', existing_type=sa.INTEGER(), nullable=False)
        batch_op.drop_column('due_at')
        batch_op.drop_column('lead_cycle_id')

    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_message_lead_cycle_id_lead_cycle'), type_='foreignkey')
        batch_op.drop_column('lead_cycle_id')

    with op.batch_alter_table('assignment', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_assignment_lead_cycle'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_assignment_lead_cycle_id_lead_cycle'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_assignment_lead_cycle_id_tool_key'), type_='unique')
        batch_op.drop_column('lead_cycle_id')
