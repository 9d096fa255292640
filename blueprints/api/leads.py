"""POST /api/v1/leads: the club's website form registers a lead."""
from flask import jsonify, url_for

from blueprints.api import body, shapes
from blueprints.api.base import bp, current_staff
from clubcrm.db import unit_of_work
from clubcrm.services import api_scope, web_leads

# Each text field of the form and its longest accepted value.
LEAD_FIELDS = {"name": 161, "first_name": 80, "last_name": 80, "phone": 32, "email": 254, "interest": 120,
               "locale": 5}


@bp.post("/leads")
def create_lead():
    """Register a lead from the website form; a person the club already knows is answered, not added again."""
    data = body.json_object()
    values = {field: body.text(data, field, longest) for field, longest in LEAD_FIELDS.items()}
    values["consent"] = body.boolean(data, "consent")
    club_id = body.row_id(data, "club_id")
    staff = current_staff()
    with unit_of_work():
        club = api_scope.club_for(staff, club_id)
        member, duplicate = web_leads.register(staff, club, values)
        if duplicate:
            # Only the id: a website that echoes the answer must not show a known member's details.
            return jsonify({"member_id": member.id, "duplicate": True}), 200
        answer = {"member": shapes.member(member), "duplicate": False}
    return jsonify(answer), 201, {"Location": url_for("api.get_member", member_id=member.id)}
