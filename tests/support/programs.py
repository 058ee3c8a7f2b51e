"""Programs the domain's unit tests share."""

from __future__ import annotations

from typing import Any

from loyalty.models.program import Program


def tiered_program(plan: dict[str, Any], **more: Any) -> Program:
    """Base, silver (spend 1,000), gold (spend 5,000) and an invitation-only VIP, 30 days' grace,
    and one membership plan."""
    return Program.model_validate(
        {
            "currency": "CNY",
            "tiers": [
                {"id": "base", "name": "Base"},
                {"id": "silver", "name": "Silver", "qualify": {"spend": "1000.00"}},
                {"id": "gold", "name": "Gold", "qualify": {"spend": "5000.00"}},
                {"id": "vip", "name": "VIP"},
            ],
            "tier_rules": {"grace_days": 30},
            "membership_plans": [plan],
            **more,
        }
    )
