"""What the simulator is told: the club's size and span, and each tool's known effect on renewals."""
from dataclasses import dataclass, field
from datetime import date

# Percentage points each tool adds to the renewal probability of a cycle it reached (an SMS sent, a call
# answered). The ones the issue names: renewal offer +8, trial session +5, birthday 0. Tools with 0 let the
# statistics show that they are not called "helps". Chosen so that no member's probability passes 1.
DEFAULT_EFFECTS = {
    "welcome": 1, "first_visit_call": 2, "trial_session": 5, "adaptation_check": 3, "class_invitation": 2,
    "silence": 2, "milestone": 1, "birthday": 0, "seasonal": 0, "package_offer": 2, "renewal_offer": 8,
    "freeze_end": 0, "win_back": 5, "club_news": 0,
}
# Plans as in RETENTION.md: a month (40%), three months (25%), a year (35%): name, days, price, share, and the
# base renewal probability of a cycle of it (a short contract is renewed more often than a year is).
PLANS = (("Month", 30, 5900, 40, 0.45), ("3 months", 91, 15900, 25, 0.35), ("Year", 365, 54900, 35, 0.25))


@dataclass(frozen=True)
class SimConfig:
    """MEMBERS people (leads included) over DAYS days ending on END (the club's local date; today by default).

    A renewal's probability is the plan's base + VISIT_RENEWAL × (visits in the last 60 days, up to 16) / 16, plus
    each reached tool's effect; a member who did not renew on time comes back within the window with
    LATE_RENEWAL more (plus the effects of tools that reached them after the end)."""

    members: int = 400
    days: int = 365
    seed: int = 1
    end: date | None = None
    effects: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_EFFECTS))
    holdout_pct: int = 20
    existing_share: float = 0.5     # members the club already has on the first day
    lead_share: float = 0.16        # people who never buy
    never_visit: float = 0.10       # buyers who never come (RETENTION.md: ~10% of online joiners)
    fader_share: float = 0.4
    consent_share: float = 0.85
    class_goer_share: float = 0.35
    package_share: float = 0.15
    freeze_share: float = 0.06
    visit_renewal: float = 0.20
    late_renewal: float = 0.04
    call_answered: float = 0.9
    yes_share: float = 0.3
    timezone: str = "Europe/Helsinki"

    def check(self) -> None:
        """Refuse settings that would push a renewal probability past 1 (the measured effects would shrink)."""
        if self.members < 1 or self.days < 1:
            raise ValueError("members and days must be positive")
        unknown = set(self.effects) - set(DEFAULT_EFFECTS)
        if unknown:
            raise ValueError(f"unknown tools: {', '.join(sorted(unknown))}")
        top = max(p[4] for p in PLANS) + self.visit_renewal + self.late_renewal + sum(
            max(0, e) for e in self.effects.values()) / 100
        if top > 1:
            raise ValueError(f"effects too large: a renewal probability could reach {top:.2f}")
        if not 0 <= self.holdout_pct <= 50:
            raise ValueError("holdout_pct must be 0..50")
