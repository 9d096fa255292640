"""The chain generator of `make bench-chain` (benchmarks/chain_data.py) makes data the product accepts.

PostgreSQL only: the generator loads with PostgreSQL's COPY (and session_replication_role), and `make bench-chain`
runs only there. A tiny chain (3 clubs, 300 members, 5,000 visits) goes into a fresh database of the test
cluster; then the product's integrity checks (`clubcrm check`) find nothing, its indexes are exactly the
migrations', and the product reads the rows: the desk finds a generated member, a lifecycle dry pass and the
owner's renewal report over the chain see them.
"""
from datetime import timedelta

import psycopg
import pytest
from sqlalchemy import func, select

from benchmarks import chain_data
from clubcrm import clock, integrity
from clubcrm.extensions import db
from clubcrm.lifecycle import engine
from clubcrm.models import Club, Member, Membership, Touchpoint, Visit
from clubcrm.reports.renewals import renewal_report
from clubcrm.reports.scope import Scope
from clubcrm.services import members
from tests.conftest import make_app, migrate_to_head

PARAMS = chain_data.Params(members=300, clubs=3, visits=5_000, seed=7)


@pytest.fixture(scope="module")
def chain(pg_cluster):
    """The tiny chain, generated once; yields (SQLAlchemy URL, libpq DSN, what the load did)."""
    url = pg_cluster.create_database("bench_chain_test")
    dsn = chain_data.dsn_of(url)
    load = chain_data.generate(dsn, PARAMS, log=lambda _line: None)
    yield url, dsn, load


def test_the_generated_chain_keeps_the_products_invariants(chain):
    url, dsn, load = chain
    assert load.rows["member"] == 300
    assert abs(load.rows["visit"] - 5_000) <= 250
    assert chain_data.marker(dsn) == PARAMS.as_dict()
    with clock.frozen(chain_data.NOW):
        app = make_app(url)
        with app.app_context():
            assert integrity.problems() == []
            counts = {model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
                      for model in (Club, Member, Membership, Visit, Touchpoint)}
            assert counts["club"] == 3 and counts["member"] == 300 and counts["visit"] == load.rows["visit"]
            assert counts["touchpoint"] == load.rows["touchpoint"] > 0
            # Other clubs' members train here too (chain-wide plans), and every visit's contract is the member's.
            assert db.session.scalar(select(func.count()).select_from(Visit).join(Member, Member.id == Visit.member_id)
                                     .where(Member.club_id != Visit.club_id)) > 0
            assert db.session.scalar(select(func.count()).select_from(Visit)
                                     .join(Membership, Membership.id == Visit.membership_id)
                                     .where(Membership.member_id != Visit.member_id)) == 0
            db.engine.dispose()


def test_the_indexes_are_the_migrations_own(chain, pg_cluster):
    _url, dsn, _load = chain
    reference = pg_cluster.create_database("bench_chain_reference")
    migrate_to_head(reference)
    with psycopg.connect(dsn) as loaded, psycopg.connect(chain_data.dsn_of(reference)) as fresh:
        assert chain_data.all_indexes(loaded) == chain_data.all_indexes(fresh)


def test_the_product_reads_the_generated_chain(chain):
    url, _dsn, _load = chain
    with clock.frozen(chain_data.NOW):
        app = make_app(url)
        with app.app_context():
            member = db.session.scalars(select(Member).where(Member.card_code.is_not(None)).order_by(Member.id)).first()
            club = db.session.get(Club, member.club_id)
            assert member in members.search(club.id, member.phone, club.country)
            plan = engine.run(chain_data.NOW, dry_run=True)
            assert plan.touchpoints, "a dry pass over the chain plans today's contacts"
            db.session.rollback()
            today = chain_data.NOW.date()
            ids = tuple(db.session.scalars(select(Club.id).order_by(Club.id)))
            report = renewal_report(Scope(ids, today - timedelta(days=364), today, today))
            assert report.total.cycles > 0 and report.total.renewed > 0
            assert len(report.by_club) == 3
            db.session.remove()
            db.engine.dispose()

