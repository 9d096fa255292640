"""All models, imported here so that Alembic sees the whole schema."""
from clubcrm.models.api import ApiToken
from clubcrm.models.audit import AuditEvent
from clubcrm.models.checklist import ChecklistMark
from clubcrm.models.club import DAY_MINUTES, Club, OpeningHour
from clubcrm.models.consent import ConsentEvent
from clubcrm.models.imports import IMPORT_STATUSES, ImportJob
from clubcrm.models.lead import (
    DEFAULT_LOST_REASONS, LEAD_OUTCOMES, LEAD_SOURCES, LEAD_STAGES, LeadCycle, LeadLostReason,
)
from clubcrm.models.ledger import LEDGER_KINDS, LedgerEntry, Package, Service
from clubcrm.models.lifecycle import (
    CHANNELS, OUTCOMES, PROGRAMME, SPOKEN, STAGES, TASK_EXPIRY_DAYS, Assignment, LifecycleMark, Rule, StaffContact,
    Tool, Touchpoint,
)
from clubcrm.models.login_session import END_REASONS, LoginFailure, LoginSession
from clubcrm.models.member import Member
from clubcrm.models.member_link import PAGE_EVENTS, MemberLink, MemberPageEvent
from clubcrm.models.photo import MemberPhoto
from clubcrm.models.report import ReportAtRisk, ReportCount, ReportRefresh, ReportToolTable
from clubcrm.models.membership import Freeze, Membership, Plan
from clubcrm.models.session import (
    BOOKING_SOURCES, BOOKING_STATUSES, HOLDS_PLACE, SESSION_KINDS, Booking, ClubSession, DeskCall,
)
from clubcrm.models.sms import MESSAGE_STATUSES, STATUS_RANK, Message
from clubcrm.models.staff import ROLES, Staff
from clubcrm.models.visit import Visit

__all__ = [
    "ApiToken", "Assignment", "LifecycleMark", "PROGRAMME", "AuditEvent", "ChecklistMark", "Club", "ConsentEvent",
    "DAY_MINUTES", "OpeningHour",
    "IMPORT_STATUSES", "ImportJob", "MemberPhoto",
    "DEFAULT_LOST_REASONS", "LEAD_OUTCOMES", "LEAD_SOURCES", "LEAD_STAGES", "LeadCycle", "LeadLostReason",
    "Freeze", "LEDGER_KINDS", "LedgerEntry", "END_REASONS", "LoginFailure", "LoginSession", "Member",
    "MemberLink", "MemberPageEvent", "PAGE_EVENTS", "Membership",
    "Package", "Plan", "ReportAtRisk", "ReportCount", "ReportRefresh", "ReportToolTable",
    "CHANNELS", "OUTCOMES", "SPOKEN", "STAGES", "TASK_EXPIRY_DAYS",
    "Rule", "StaffContact", "Tool", "Touchpoint",
    "MESSAGE_STATUSES", "STATUS_RANK", "Message", "ROLES", "Service", "Staff", "Visit",
    "BOOKING_SOURCES", "BOOKING_STATUSES", "Booking", "ClubSession", "DeskCall", "HOLDS_PLACE", "SESSION_KINDS",
]
