"""Which club an API call acts in: the token's staff's own club; an owner of several names one."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from clubcrm.errors import InvalidInput, NotFound
from clubcrm.extensions import db
from clubcrm.models import Club, Staff


def club_for(staff: Staff, club_id: int | None) -> Club:
    """Return the club STAFF acts in; CLUB_ID picks one for an owner of several (required then)."""
    if staff.club_id is not None:
        if club_id is not None and club_id != staff.club_id:
            # The same answer for another club and for no club: a login learns nothing of clubs it cannot see.
            raise NotFound("club_id", _l("No such club."))
        return staff.club
    if club_id is not None:
        club = db.session.get(Club, club_id)
        if club is None:
            raise NotFound("club_id", _l("No such club."))
        return club
    clubs = db.session.scalar(select(func.count()).select_from(Club))
    if clubs == 1:
        return db.session.scalar(select(Club))
    if not clubs:
        raise InvalidInput("club_id", _l("There is no club yet."))
    raise InvalidInput("club_id", _l("Choose the club (club_id): this login works in several."))
