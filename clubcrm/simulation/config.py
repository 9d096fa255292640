"""What the simulator is told: the club's size and span, how its members stay or leave, and each tool's known
effect on renewals."""
from dataclasses import dataclass, field
from datetime import date

from clubcrm.lifecycle.tools import EFFECTS

# The mean effect of each tool, in percentage points of the renewal probability of a cycle it reached (an SMS the
# gateway delivered, a call answered). Small and varied, as nudges are (review finding 10: 1-8 points, 31 in all,
# was far above what messages do); several tools do nothing, so the statistics can show that they are not "helps".
# Each member's own response is drawn around it (effects.py): most are not moved, some are, a few are put off.
DEFAULT_EFFECTS = dict(EFFECTS)   # each tool's module says its effect (clubcrm/lifecycle/tools/)
# Plans as in RETENTION.md: a month (40%), three months (25%), a year (35%): name, days, price, share, and the
# plan's churn at the end of a cycle (the chance of not renewing) for a member with no visit in the cycle's last
# three months, before the visit, early-visit and summer factors of SimConfig. Chosen so that the month plan's
# monthly churn comes out at RETENTION.md's 3.4-5.5% and a year plan renews about as first buyers do (~50-60%).
PLANS = (("Month", 30, 5900, 40, 0.18), ("3 months", 91, 15900, 25, 0.40), ("Year", 365, 54900, 35, 0.75))


@dataclass(frozen=True)
class SimConfig:
    """MEMBERS people (leads included) over DAYS days ending on END (the club's local date; today by default).

    A cycle's churn is its plan's base × ACTIVE_MONTH_FACTOR per month of its last three with a visit (RETENTION.md:
    each month with a visit cuts the next month's risk by ~20%) × EARLY_REGULAR (a first visit within two weeks of
    joining and four visits in the first month) or LATE_STARTER (no visit in the first two weeks) × SUMMER_CHURN for
    cycles ending in July or August. Its renewal probability is 1 − churn plus what every tool that reached the
    member added (that member's own response to the tool); one who did not renew on time comes back within the
    window with LATE_RENEWAL more (plus what tools that reached them after the end added). The tools' holdout
    shares are the product's defaults (10% per tool, 5% for the whole programme)."""

    members: int = 400
    days: int = 365
    seed: int = 1
    end: date | None = None
    effects: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_EFFECTS))
    existing_share: float = 0.5     # members the club already has on the first day
    lead_share: float = 0.16        # people who never buy
    never_visit: float = 0.10       # buyers who never come (RETENTION.md: ~10% of online joiners)
    fader_share: float = 0.4
    consent_share: float = 0.85
    class_goer_share: float = 0.35
    package_share: float = 0.15
    freeze_share: float = 0.06
    active_month_factor: float = 0.8
    early_regular: float = 0.75
    late_starter: float = 1.3
    summer_churn: float = 1.3       # RETENTION.md (Bedford): most quits in July and August
    summer_visits: float = 0.75     # and fewer visits then
    late_renewal: float = 0.03
    call_answered: float = 0.7
    # Leads with a cycle (services/lead_cycles): LEAD_CYCLE_SHARE of the people who arrive during the span come as
    # leads (source web_form or walk_in as drawn for the person) and buy, or not, by the lead model (year.py): on
    # a decision day 1 + Exp(mean LEAD_DECISION_DAYS) days into the cycle (at most day 58 of the 60) with the
    # chance LEAD_BASE[source] plus their responses to the lead tools that reached them by then. A booked trial
    # is attended with TRIAL_SHOW (it changes no chance: the lead tools' effects are their own responses).
    lead_cycle_share: float = 0.5
    lead_base: dict[str, float] = field(default_factory=lambda: {"walk_in": 0.38, "web_form": 0.22})
    lead_decision_days: float = 12.0
    trial_show: float = 0.7
    yes_share: float = 0.3
    # Each member's response to a tool: ANNOYED_SHARE are put off by it (ANNOYED_EFFECT on their renewal, and
    # STOP_SHARE of those who get its SMS reply STOP), MOVED_EFFECT for the share that makes the mean the tool's
    # configured effect, nothing for the rest.
    annoyed_share: float = 0.04
    annoyed_effect: float = -0.04
    moved_effect: float = 0.10
    stop_share: float = 0.3
    # The simulated gateway: refused at once, and accepted but never delivered.
    sms_refused: float = 0.01
    sms_undelivered: float = 0.02
    timezone: str = "Europe/Helsinki"

    def check(self) -> None:
        """Refuse settings the effect model cannot honour (a moved share outside 0..1)."""
        if self.members < 1 or self.days < 1:
            raise ValueError("members and days must be positive")
        unknown = set(self.effects) - set(DEFAULT_EFFECTS)
        if unknown:
            raise ValueError(f"unknown tools: {', '.join(sorted(unknown))}")
        for tool, points in self.effects.items():
            share = self.moved_share(points / 100)
            if not 0 <= share + self.annoyed_share <= 1:
                raise ValueError(f"effects too large: {tool} at {points} points needs {share:.0%} of members moved")

    def moved_share(self, mean: float) -> float:
        """The share of members a tool moves so that the population mean of the responses is MEAN."""
        return (mean - self.annoyed_share * self.annoyed_effect) / self.moved_effect
