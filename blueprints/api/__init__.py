"""The JSON API under /api/v1: bearer tokens, JSON errors, described by /api/v1/openapi.json."""
from blueprints.api import checkins, leads, members, reports, spec  # noqa: F401  (each adds its routes)
from blueprints.api.base import (bp, error_response, http_error_response, is_api_request, server_error_response,
                                 too_long_response, unavailable_response)

__all__ = ["bp", "error_response", "http_error_response", "is_api_request", "server_error_response",
           "too_long_response", "unavailable_response"]
