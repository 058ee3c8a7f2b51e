"""Notices sent to members, each recorded once so it never goes out twice: expiry reminders
(REMINDER#{expires_on}#{window}) and sunset notices (SUNSET#{last_redeeming_day}#{days}). The
stream turns each new item into its event."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from loyalty.store import keys
from loyalty.store.table import TableStore


class NoticeStore(TableStore):
    def record_sunset_notice(
        self,
        tenant_id: str,
        member_id: str,
        last_redeeming_day: date,
        offset_days: int,
        points: int,
        now: datetime,
    ) -> bool:
        """Record that a sunset notice goes out; False when it already did (never twice). The
        stream turns the new item into the program.sunset_notice event."""
        item = {
            "PK": keys.member_pk(tenant_id, member_id),
            "SK": keys.sunset_notice_sk(last_redeeming_day, offset_days),
            "tenant_id": tenant_id,
            "member_id": member_id,
            "last_redeeming_day": last_redeeming_day.isoformat(),
            "days_before": offset_days,
            "points": points,
            "created_at": now.isoformat(),
        }
        return self.put_once(item)

    def record_reminder(
        self,
        tenant_id: str,
        member_id: str,
        expires_on: date,
        window_days: int,
        detail: dict[str, Any],
        now: datetime,
    ) -> bool:
        """Record that a reminder goes out; False when it already did (never twice). The stream
        turns the new item into the points.expiring event."""
        item = {
            "PK": keys.member_pk(tenant_id, member_id),
            "SK": keys.reminder_sk(expires_on, window_days),
            "tenant_id": tenant_id,
            "member_id": member_id,
            "expires_on": expires_on.isoformat(),
            "window_days": window_days,
            "created_at": now.isoformat(),
            **detail,
        }
        return self.put_once(item)
