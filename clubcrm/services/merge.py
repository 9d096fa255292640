"""Merging two records of one person (a lead registered twice): every row of the dropped record moves to the kept
one in one transaction, then the dropped member row is deleted.

Deleted, not marked merged: once every row that names it has moved, the dropped row is an empty shell, and a
shell would need a column that every list, search, report and uniqueness check then has to remember. The audit
event of the merge keeps both ids and what moved, so the history stays readable."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, delete, func, select, update

from clubcrm.clock import utcnow
from clubcrm.errors import Conflict, InvalidInput, NotFound
from clubcrm.extensions import db
from clubcrm.models import Booking, LeadCycle, LedgerEntry, Member, MemberPhoto, Package, Staff
from clubcrm.services import audit
from clubcrm.services.locks import lock_member

# The lost reason given to the newer of two open lead cycles closed by a merge.
MERGED = "merged"


def member_references() -> list[tuple[str, str]]:
    """Every (table, column) of the schema with a foreign key to member.id, found in the metadata, so that a table
    added later moves with the rest without this module knowing it."""
    found = []
    for table in db.metadata.sorted_tables:
        for key in table.foreign_keys:
            if key.column.table.name == "member" and key.column.name == "id" and table.name != "member":
                found.append((table.name, key.parent.name))
    return sorted(found)


def count_rows(member_ids: list[int]) -> dict[tuple[str, str], int]:
    """Count the rows of each referencing (table, column) that name one of MEMBER_IDS (one statement a table)."""
    counts = {}
    for table_name, column_name in member_references():
        table = db.metadata.tables[table_name]
        counts[(table_name, column_name)] = db.session.scalar(
            select(func.count()).select_from(table).where(table.c[column_name].in_(member_ids))) or 0
    return counts


def _checked(actor: Staff, keep_id: int | None, drop_id: int | None) -> tuple[Member, Member]:
    """The two members, locked in id order (two merges at once wait, never deadlock), or the reason they cannot
    merge."""
    if not actor.has_role("manager"):
        raise NotFound("keep_id", _l("No such member."))
    if keep_id is None or drop_id is None:
        raise InvalidInput("keep_id" if keep_id is None else "drop_id", _l("Name both records of the person."))
    if keep_id == drop_id:
        raise InvalidInput("drop_id", _l("These are the same record: choose two records of one person."),
                           code="same_member")
    found = {}
    for member_id in sorted((keep_id, drop_id)):
        member = db.session.get(Member, member_id)
        if member is None or not actor.sees_club(member.club_id):
            raise NotFound("keep_id" if member_id == keep_id else "drop_id", _l("No such member."))
        found[member_id] = member
    keep, drop = found[keep_id], found[drop_id]
    if keep.club_id != drop.club_id:
        raise Conflict("drop_id", _l("The two records belong to different clubs: only records of one club can be "
                                     "merged."), code="other_club")
    for field, member in (("keep_id", keep), ("drop_id", drop)):
        if member.erased_at is not None:
            raise Conflict(field, _l("The personal data of record %(id)s was erased: an erased record cannot be "
                                     "merged.", id=member.id), code="erased")
    for member_id in sorted((keep_id, drop_id)):
        found[member_id] = lock_member(member_id)
    return found[keep_id], found[drop_id]


def merge(actor: Staff, keep_id: int | None, drop_id: int | None) -> dict[str, int]:
    """Merge member DROP_ID into KEEP_ID (managers): move every row that references the dropped member to the kept
    one, settle what may exist only once, delete the dropped member, audit it; return the rows moved per table.
    The caller's transaction holds it all: a failure anywhere leaves both records as they were.

    What may exist once per person:
    - an open lead cycle (a partial unique index): the older open cycle stays open and the newer closes as lost
      with the reason "merged". The older one began at the person's first contact, which is what the lead KPIs
      (time to first contact, sale within 30 days) measure from; its touchpoints and draws stay with it.
    - a package of one service (unique per member and service): the dropped package's ledger entries move to the
      kept package, whose balance is their sum, and the empty package goes.
    - a booking of one session (unique per session and member): the kept member's booking stays, the other goes.
    - a photo (one per member): the newer photo stays.
    - phone, email, card code: the kept record keeps its own; a field it lacks takes the dropped record's value.
    - SMS consent: the state of the later consent event wins (the consent history keeps every event of both); an
      opt-out (STOP) of either record stays.
    - a first sale: the earlier of the two converts; an open lead cycle of a person who has bought is won.
    """
    keep, drop = _checked(actor, keep_id, drop_id)
    before = count_rows([keep.id, drop.id])
    settled = {"lead_cycles_closed": _one_open_cycle(actor, keep, drop), "packages_joined": _one_package(keep, drop),
               "bookings_dropped": _one_booking(keep, drop), "photos_dropped": _one_photo(keep, drop)}
    details = _take_details(keep, drop)
    moved = {}
    for table_name, column_name in member_references():
        table = db.metadata.tables[table_name]
        result = db.session.execute(update(table).where(table.c[column_name] == drop.id)
                                    .values({column_name: keep.id}).execution_options(synchronize_session=False))
        if result.rowcount:
            moved[f"{table_name}.{column_name}"] = result.rowcount
    db.session.flush()
    db.session.execute(delete(Member).where(Member.id == drop.id).execution_options(synchronize_session=False))
    db.session.expunge(drop)
    _won_if_bought(actor, keep)
    db.session.flush()
    after = count_rows([keep.id])
    lost = {f"{t}.{c}": before[(t, c)] - after[(t, c)] for t, c in before if before[(t, c)] != after[(t, c)]}
    audit.record(actor, "merge_members", "member", keep.id, club_id=keep.club_id, member_id=keep.id,
                 before={"kept_id": keep.id, "dropped_id": drop.id, "dropped_name": drop.full_name},
                 after={"moved": moved, **{k: v for k, v in settled.items() if v}, "details_taken": details,
                        **({"rows_settled": lost} if lost else {})})
    return moved


def _one_open_cycle(actor: Staff, keep: Member, drop: Member) -> int:
    """Close the newer of the two records' open lead cycles as lost ("merged"); return how many closed (0 or 1)."""
    open_cycles = list(db.session.scalars(
        select(LeadCycle).where(LeadCycle.member_id.in_([keep.id, drop.id]), LeadCycle.ended_at.is_(None))
        .order_by(LeadCycle.started_at, LeadCycle.id)))
    for newer in open_cycles[1:]:
        newer.ended_at, newer.outcome, newer.lost_reason, newer.ended_by_id = utcnow(), "lost", MERGED, actor.id
    db.session.flush()
    return len(open_cycles[1:])


def _one_package(keep: Member, drop: Member) -> int:
    """Join the dropped record's packages of a service the kept one also holds into the kept package."""
    kept = {p.service_id: p for p in db.session.scalars(select(Package).where(Package.member_id == keep.id))}
    joined = 0
    for package in list(db.session.scalars(select(Package).where(Package.member_id == drop.id))):
        target = kept.get(package.service_id)
        if target is None:
            continue
        db.session.execute(update(LedgerEntry).where(LedgerEntry.package_id == package.id)
                           .values(package_id=target.id).execution_options(synchronize_session=False))
        _join_package_fields(target, package)
        db.session.delete(package)
        joined += 1
    db.session.flush()
    return joined


def _join_package_fields(target: Package, package: Package) -> None:
    """Add the package's balance (the sum of the ledger entries that moved) to TARGET; the later expiry holds."""
    target.balance += package.balance
    if package.expires_on is not None and (target.expires_on is None or package.expires_on > target.expires_on):
        target.expires_on = package.expires_on


def _one_booking(keep: Member, drop: Member) -> int:
    """Delete the dropped record's bookings of sessions the kept record is booked in too."""
    kept_sessions = select(Booking.session_id).where(Booking.member_id == keep.id).scalar_subquery()
    return db.session.execute(delete(Booking).where(and_(Booking.member_id == drop.id,
                                                         Booking.session_id.in_(kept_sessions)))
                              .execution_options(synchronize_session=False)).rowcount


def _one_photo(keep: Member, drop: Member) -> int:
    """Keep the newer of the two photos."""
    mine, theirs = db.session.get(MemberPhoto, keep.id), db.session.get(MemberPhoto, drop.id)
    if mine is None or theirs is None:
        return 0
    if theirs.updated_at > mine.updated_at:
        db.session.delete(mine)
        db.session.flush()
        keep.photo_at = drop.photo_at
        return 1
    db.session.delete(theirs)
    db.session.flush()
    return 1


def _take_details(keep: Member, drop: Member) -> list[str]:
    """Fill the kept record's empty contact fields from the dropped one, settle consent and conversion; return the
    names of the fields taken. The dropped record lets go of its unique values first."""
    taken = [name for name in ("phone", "email", "card_code", "birth_date", "interest", "notes")
             if getattr(keep, name) in (None, "") and getattr(drop, name) not in (None, "")]
    values = {name: getattr(drop, name) for name in taken}
    if drop.sms_consent_at is not None and (keep.sms_consent_at is None or drop.sms_consent_at > keep.sms_consent_at):
        values.update(sms_consent=drop.sms_consent, sms_consent_at=drop.sms_consent_at,
                      sms_consent_source=drop.sms_consent_source)
        taken.append("sms_consent")
    for name in ("sms_opted_out_at", "phone_invalid_at", "photo_at"):
        if getattr(keep, name) is None and getattr(drop, name) is not None and (name != "phone_invalid_at"
                                                                               or "phone" in taken):
            values[name] = getattr(drop, name)
    if drop.converted_at is not None and (keep.converted_at is None or drop.converted_at < keep.converted_at):
        values["converted_at"] = drop.converted_at
    # One statement frees the dropped record's phone and card code (unique per club, in the chain) for the kept one.
    drop.phone, drop.card_code = None, None
    db.session.flush()
    for name, value in values.items():
        setattr(keep, name, value)
    db.session.flush()
    return taken


def _won_if_bought(actor: Staff, keep: Member) -> None:
    """A person who has bought is no lead: close the open lead cycle the merge left them as won."""
    if keep.converted_at is None:
        return
    cycle = db.session.scalar(select(LeadCycle).where(LeadCycle.member_id == keep.id, LeadCycle.ended_at.is_(None)))
    if cycle is not None:
        cycle.ended_at, cycle.outcome, cycle.ended_by_id = utcnow(), "won", actor.id
