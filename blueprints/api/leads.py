"""POST /api/v1/leads: the club's website form registers a lead."""
from flask import jsonify, url_for
from flask_babel import lazy_gettext as _l

from blueprints.api import body, contract, shapes
from blueprints.api.base import bp, current_staff
from clubcrm import api_schema
from clubcrm.db import unit_of_work
from clubcrm.errors import InvalidInput
from clubcrm.i18n import SUPPORTED_LOCALES
from clubcrm.services import api_scope, web_leads
from clubcrm.services.members import checked_email

# Each text field of the form and its longest accepted value.
LEAD_FIELDS = {"name": 80, "first_name": 80, "last_name": 80, "phone": 32, "email": 254, "interest": 120,
               "locale": 5, "source": 16, "campaign": 80}
# The document's pattern for each text field (the phone's format is checked by the service, for the club's country;
# the email's, format `email-address`, by email-validator as the forms check it).
PATTERNS = {"name": api_schema.PLAIN, "first_name": api_schema.PLAIN, "last_name": api_schema.PLAIN,
            "interest": api_schema.PLAIN, "campaign": api_schema.PLAIN}


def _checked(values: dict) -> dict:
    """Refuse what the document refuses, whether or not the person turns out to be known already."""
    for field, pattern in PATTERNS.items():
        contract.matching(field, values[field], pattern, _l("Text cannot contain control characters."))
    checked_email(values["email"])
    if values["locale"] is not None and values["locale"] not in SUPPORTED_LOCALES:
        raise InvalidInput("locale", _l("Choose one of the offered languages."))
    return values


@bp.post("/leads")
def create_lead():
    """Register a lead from the website form; a person the club already knows is answered, not added again."""
    data = body.json_object()
    values = _checked({field: body.text(data, field, longest) for field, longest in LEAD_FIELDS.items()})
    values["consent"] = body.boolean(data, "consent")
    values["referrer_member_id"] = contract.body_id(data, "referrer_member_id")
    club_id = contract.body_id(data, "club_id")
    staff = current_staff()
    with unit_of_work():
        club = api_scope.club_for(staff, club_id)
        registered = web_leads.register(staff, club, values)
        member = registered.member
        if registered.duplicate:
            # Only the id: a website that echoes the answer must not show a known member's details (nor whether
            # a confirmation SMS went to them). new_cycle: a lost lead asked again and is a lead anew.
            return jsonify({"member_id": member.id, "duplicate": True, "new_cycle": registered.new_cycle}), 200
        answer = {"member": shapes.member(member), "duplicate": False}
    return jsonify(answer), 201, {"Location": url_for("api.get_member", member_id=member.id)}
