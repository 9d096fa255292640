"""GET /api/v1/openapi.json: the API's description, readable without a token."""
from flask import jsonify

from blueprints.api.base import PREFIX, bp
from clubcrm import api_schema


@bp.get("/openapi.json")
def openapi():
    """Serve the OpenAPI document."""
    return jsonify(api_schema.document(PREFIX))
