"""Retention tools, the rules that fire them, the touchpoints they plan and staff contacts with members."""
from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clubcrm.clock import utcnow
from clubcrm.models.base import UTCDateTime, db
from clubcrm.models.member import Member

STAGES = ("lead", "adaptation", "active", "pre_renewal", "frozen", "lapsed", "lost")
CHANNELS = ("sms", "task")
FALLBACKS = ("task", "skip")
# A touchpoint's status: planned (an SMS for the outbox or an open staff task), held_out, skipped, done (a
# task with its outcome), sent, failed, or expired (a task nobody closed within TASK_EXPIRY_DAYS: no contact).
TASK_EXPIRY_DAYS = 14
OUTCOMES = ("reached", "no_answer", "booked", "renewed", "declined")
# Outcomes that mean a conversation took place (the "staff contacts" fact counts these).
SPOKEN = ("reached", "booked", "renewed", "declined")


class Tool(db.Model):
    """A retention instrument whose effect is measured; a random share of cycles is held out of it."""

    __tablename__ = "tool"
    __table_args__ = (
        UniqueConstraint("club_id", "key"),
        CheckConstraint("holdout_pct >= 0 AND holdout_pct <= 50", name="holdout_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    club_id: Mapped[int] = mapped_column(ForeignKey("club.id"))
    key: Mapped[str] = mapped_column(String(32))
    enabled: Mapped[bool] = mapped_column(default=True)
    holdout_pct: Mapped[int] = mapped_column(default=10)

    rules: Mapped[list["Rule"]] = relationship(back_populates="tool", order_by="Rule.priority")


class Rule(db.Model):
    """When a tool fires: a trigger on the member's facts, the stages it applies in, a channel and a text."""

    __tablename__ = "rule"
    __table_args__ = (
        UniqueConstraint("club_id", "key"),
        CheckConstraint("days >= 0", name="days_not_negative"),
        CheckConstraint("window_days >= 0", name="window_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    club_id: Mapped[int] = mapped_column(ForeignKey("club.id"), index=True)
    tool_id: Mapped[int] = mapped_column(ForeignKey("tool.id"))
    key: Mapped[str] = mapped_column(String(32))
    trigger: Mapped[str] = mapped_column(String(24))
    # Comma-separated stages the rule applies in.
    stages: Mapped[str] = mapped_column(String(80))
    channel: Mapped[str] = mapped_column(String(4))
    # What a member who cannot get an SMS gets instead: a staff task, or nothing (a skipped touchpoint).
    fallback: Mapped[str] = mapped_column(String(4), default="task")
    task_kind: Mapped[str] = mapped_column(String(16), default="call_back")
    # Lower fires first and is kept when the cycle's budget runs short.
    priority: Mapped[int] = mapped_column(default=50)
    # The trigger's day (after the start, before the end, of silence...) and how many days it may still fire.
    days: Mapped[int] = mapped_column(default=0)
    window_days: Mapped[int] = mapped_column(default=0)
    threshold: Mapped[int | None]
    # Seasonal campaigns: the yearly window as "MM-DD".
    season_from: Mapped[str | None] = mapped_column(String(5))
    season_to: Mapped[str | None] = mapped_column(String(5))
    enabled: Mapped[bool] = mapped_column(default=True)
    # {locale: text}; a locale without text uses the club's default locale.
    texts: Mapped[dict] = mapped_column(JSON, default=dict)

    tool: Mapped[Tool] = relationship(back_populates="rules")

    @property
    def stage_list(self) -> tuple[str, ...]:
        return tuple(s for s in self.stages.split(",") if s)


class Touchpoint(db.Model):
    """One planned or done contact of a tool with a member in one cycle: a membership, or a lead's cycle (first
    contact to first sale)."""

    __tablename__ = "touchpoint"
    __table_args__ = (
        UniqueConstraint("membership_id", "rule_id", "occurrence"),
        UniqueConstraint("lead_cycle_id", "rule_id", "occurrence"),
        CheckConstraint("(membership_id IS NULL) <> (lead_cycle_id IS NULL)", name="one_cycle"),
        Index("ix_touchpoint_club_id_channel_status_due_on", "club_id", "channel", "status", "due_on"),
        Index("ix_touchpoint_member_id_due_on", "member_id", "due_on"),
        # The reports find a rule's touchpoints in a period (members' replies) by it.
        Index("ix_touchpoint_rule_id_due_on", "rule_id", "due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    club_id: Mapped[int] = mapped_column(ForeignKey("club.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"))
    membership_id: Mapped[int | None] = mapped_column(ForeignKey("membership.id"))
    lead_cycle_id: Mapped[int | None] = mapped_column(ForeignKey("lead_cycle.id"))
    tool_id: Mapped[int] = mapped_column(ForeignKey("tool.id"), index=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("rule.id"))
    # Which firing of the rule in the cycle: 0 for one-offs, the year, a visit count, a package id...
    occurrence: Mapped[int] = mapped_column(default=0)
    stage: Mapped[str] = mapped_column(String(12))
    channel: Mapped[str] = mapped_column(String(4))
    status: Mapped[str] = mapped_column(String(10))
    # Why a touchpoint was skipped (no_consent, budget, sms_cap).
    skip_reason: Mapped[str | None] = mapped_column(String(16))
    task_kind: Mapped[str | None] = mapped_column(String(16))
    # The facts that matched, shown on the member card.
    facts: Mapped[dict] = mapped_column(JSON, default=dict)
    due_on: Mapped[date]
    # A staff task's deadline within its day (a lead's first call: one opening hour after the lead came); None: the
    # day itself.
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    planned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A real session offered by an invitation (trial, class, club event).
    session_id: Mapped[int | None] = mapped_column(ForeignKey("club_session.id"), index=True)
    outcome: Mapped[str | None] = mapped_column(String(10))
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    # The member page opened from this touchpoint's SMS link: when it was first shown in a browser (the page's own
    # "viewed" post, not the GET a link previewer makes), and what the member answered there to a renewal offer
    # (call_me, at_desk) and when.
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answer: Mapped[str | None] = mapped_column(String(10))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    member: Mapped[Member] = relationship()
    rule: Mapped[Rule] = relationship()
    tool: Mapped[Tool] = relationship()


# The arms of an assignment, and the tool key under which the programme holdout is logged.
PROGRAMME = "programme"
CYCLE_KINDS = ("member", "lead")


class Assignment(db.Model):
    """The draw of one cycle into an arm of one tool (or of the whole programme), logged the first time the
    tool's trigger fires in the cycle, the same way for both arms and whether or not a contact follows. Every
    per-tool figure is computed from this log (intention to treat).

    A cycle is a membership (kind `member`) or a lead's cycle (kind `lead`, first contact to first sale, with its
    lead_cycle_id): both use this one log. The programme's row (tool_key `programme`, no tool; memberships only) is
    written the first day the engine sees the cycle; a cycle held out of the programme gets no other row and no
    contact from the engine."""

    __tablename__ = "assignment"
    __table_args__ = (
        UniqueConstraint("membership_id", "tool_key"),
        UniqueConstraint("lead_cycle_id", "tool_key"),
        CheckConstraint("kind <> 'lead' OR lead_cycle_id IS NOT NULL", name="lead_cycle"),
        CheckConstraint("share_pct >= 0 AND share_pct <= 50", name="share_range"),
        CheckConstraint("kind IN ('member', 'lead')", name="cycle_kind"),
        CheckConstraint("kind <> 'member' OR membership_id IS NOT NULL", name="member_cycle"),
        # The per-tool table's draws per month (tool key, member) read from the index alone.
        Index("ix_assignment_club_id_first_on", "club_id", "first_on", "tool_key", "member_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    club_id: Mapped[int] = mapped_column(ForeignKey("club.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    kind: Mapped[str] = mapped_column(String(6), default="member")
    membership_id: Mapped[int | None] = mapped_column(ForeignKey("membership.id"))
    lead_cycle_id: Mapped[int | None] = mapped_column(ForeignKey("lead_cycle.id"))
    tool_key: Mapped[str] = mapped_column(String(32))
    tool_id: Mapped[int | None] = mapped_column(ForeignKey("tool.id"))
    held: Mapped[bool]
    # The holdout share (percent) in force when the cycle was drawn: figures are stratified by it.
    share_pct: Mapped[int]
    # The club-local day the tool's trigger first fired in the cycle (the programme: the engine first saw it).
    first_on: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StaffContact(db.Model):
    """A call or talk of a staff member with a member, logged with its outcome."""

    __tablename__ = "staff_contact"
    __table_args__ = (Index("ix_staff_contact_member_id_created_at", "member_id", "created_at"),
                      # The hourly pass's news: contacts logged since its last look, in any club of the chain.
                      Index("ix_staff_contact_created_at", "created_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    club_id: Mapped[int] = mapped_column(ForeignKey("club.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    touchpoint_id: Mapped[int | None] = mapped_column(ForeignKey("touchpoint.id"))
    outcome: Mapped[str] = mapped_column(String(10))
    note: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LifecycleMark(db.Model):
    """Where the hourly lifecycle pass left a club: the club-local day it planned in full, the instant it last
    looked, and what a later pass that day needs to know to look only at members with news (see
    clubcrm/lifecycle/since.py)."""

    __tablename__ = "lifecycle_mark"

    club_id: Mapped[int] = mapped_column(ForeignKey("club.id"), primary_key=True)
    day: Mapped[date]
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # session id (as text) → places still free after the pass's offers: a session that has more, or is new to
    # the offer window, may serve a member who waited for one.
    sessions: Mapped[dict] = mapped_column(JSON, default=dict)
    # Members a session-offering rule fired for while no session had a free place.
    waiting: Mapped[list] = mapped_column(JSON, default=list)
