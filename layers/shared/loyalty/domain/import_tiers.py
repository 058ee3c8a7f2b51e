"""The tier an import gave a member it enrolled (an admin-style assignment, reason "import"), taken
back when the import is reverted.

Taken back only while the member still holds it from the import: the status still carries that
assignment (the same tier, end, reason and key) in force today. An admin's assignment made since,
or one already over (the rules decide from its end), is left alone. The member then falls as on a
cancelled membership: to the tier their figures reach now, never below another floor in force (a
paid membership); a member whose own tier is above the imported one keeps it."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from loyalty.domain.memberships import fall_level
from loyalty.domain.tiers import (
    TierChange,
    TierDecision,
    TierStatus,
    admin_floor,
    bump,
    current_tier,
    move,
    review_after,
)
from loyalty.models.program import Program

IMPORT = "import"  # the reason an import's assignment carries
REVERTED = "import_reverted"  # the reason of the change in the tier history


@dataclass(frozen=True)
class ImportedTier:
    """The assignment an import row gave: its tier, its end (inclusive; None: no end) and the key
    that started the import."""

    tier_id: str
    until: date | None
    by: str

    def held(self, program: Program, status: TierStatus, today: date) -> bool:
        """The member holds the assignment still, from the import, in force today."""
        stored = (status.assigned_id, status.assigned_until, status.assigned_reason, status.assigned_by)
        same = stored == (self.tier_id, self.until, IMPORT, self.by)
        return same and admin_floor(program, status, today) > 0


def take_back(
    program: Program, status: TierStatus, enrolled_on: date, today: date, given: ImportedTier, detail: str
) -> TierDecision | None:
    """The assignment withdrawn and the member's tier as the rules give it now; None: the member
    no longer holds it from the import (nothing to take back)."""
    if not given.held(program, status, today):
        return None
    withdrawn = replace(status, assigned_id=None, assigned_until=None, assigned_reason=None, assigned_by=None)
    level = program.tier_level(status.tier_id)
    target = fall_level(program, withdrawn, level, program.tier_level(given.tier_id), today)
    if target != level:
        return move(program, withdrawn, enrolled_on, today, target, REVERTED, detail)
    # The tier stays (the member's own, or a membership's): the history still says the
    # assignment went, as an admin's withdrawal does.
    tier = current_tier(program, status).id
    review = review_after(program, withdrawn, enrolled_on, today, level)
    return TierDecision(bump(withdrawn, review_on=review), TierChange(tier, tier, REVERTED, detail))
