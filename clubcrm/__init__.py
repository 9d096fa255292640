"""ClubCRM: a CRM for fitness clubs, built to keep members."""
from clubcrm.app import create_app

__all__ = ["create_app"]
