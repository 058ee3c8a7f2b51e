"""Reports (admin): JSON, or CSV when the caller accepts text/csv."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable
from datetime import date
from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from loyalty.domain.analytics import RESPONSE_DAYS
from loyalty.domain.reports import csv_rows
from loyalty.http.auth import require
from loyalty.http.routes.docs import Handler, operation, responses
from loyalty.models.reports import (
    CampaignsResponse,
    CustomersResponse,
    FlowsResponse,
    RemindersResponse,
    SummaryResponse,
    TiersResponse,
)
from loyalty.operations import customers, reports
from loyalty.operations.context import default_context

router = Router()
From = Annotated[
    date | None, Query(alias="from", description="first program-local day (default: 29 days before `to`)")
]
To = Annotated[date | None, Query(alias="to", description="last program-local day (default: today)")]


def _admin(
    method: str, path: str, summary: str, description: str, answers: dict[int, Any]
) -> Callable[[Handler], Handler]:
    """Every report is the tenant administrator's, under the one tag."""
    return operation(router, method, path, "admin", summary, description, answers, tags=["reports"])


def wants_csv() -> bool:
    return "text/csv" in (router.current_event.headers.get("accept") or "").lower()


def answer(body: dict[str, Any], table: Iterable[str] | None = None) -> Response[str]:
    if wants_csv():
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(csv_rows(body, table))
        return Response(status_code=200, content_type="text/csv; charset=utf-8", body=out.getvalue())
    return Response(status_code=200, content_type="application/json", body=json.dumps(body))


@_admin(
    "GET",
    "/v1/reports/summary",
    "Summary report",
    "Liability in points and money, points issued by source, redeemed, expired, clawed back and "
    "adjusted, breakage and its forecast, redemption rate, members total, new, active and by tier, "
    "for the window `from`..`to` (program-local days). CSV on `Accept: text/csv`. Definitions: "
    "docs/reports.md.",
    responses(200, SummaryResponse, 422),
)
def summary(first: From = None, last: To = None) -> Response[str]:
    principal = require(router, "admin")
    return answer(reports.summary(default_context(), principal.tenant_id, first, last))


@_admin(
    "GET",
    "/v1/reports/flows",
    "Flows over time",
    "The summary's flows per day, week or month over the window, for charts. CSV on `Accept: text/csv`.",
    responses(200, FlowsResponse, 422),
)
def flows(
    first: From = None, last: To = None, interval: Annotated[Literal["day", "week", "month"], Query()] = "day"
) -> Response[str]:
    principal = require(router, "admin")
    body = reports.flows(default_context(), principal.tenant_id, first, last, interval)
    columns = (
        "period",
        "issued",
        "redeemed",
        "expired",
        "clawed_back",
        "adjusted",
        "members_new",
        "purchases",
        "revenue",
        "liability_change",
    )
    return answer(body, columns)


@_admin(
    "GET",
    "/v1/reports/tiers",
    "Tiers and movement",
    "Members per tier now and the movement matrix (from, to, members, up or down) in the window. CSV"
    " on `Accept: text/csv`.",
    responses(200, TiersResponse, 422),
)
def tiers(first: From = None, last: To = None) -> Response[str]:
    principal = require(router, "admin")
    body = reports.tiers(default_context(), principal.tenant_id, first, last)
    if wants_csv():  # the movement matrix, one row per (from, to)
        return answer({"items": body["movements"]}, ("from", "to", "members", "direction"))
    return answer(body)


@_admin(
    "GET",
    "/v1/reports/campaigns",
    "Campaign attribution",
    "Per rule or campaign id: points credited, credits, purchases and revenue it touched, in the "
    "window. CSV on `Accept: text/csv`.",
    responses(200, CampaignsResponse, 422),
)
def campaigns(first: From = None, last: To = None) -> Response[str]:
    principal = require(router, "admin")
    body = reports.campaigns(default_context(), principal.tenant_id, first, last)
    return answer(body, ("rule_id", "points", "credits", "purchases", "revenue"))


@_admin(
    "GET",
    "/v1/reports/customers",
    "Customers: 80/20, RFM, repeat purchases",
    "The share of purchase revenue from the top 20% of purchasers, the curve, RFM segments with "
    "counts and revenue, and the repeat-purchase rate, from the latest customers snapshot. CSV on "
    "`Accept: text/csv`.",
    responses(200, CustomersResponse, 422),
)
def customers_report(first: From = None, last: To = None) -> Response[str]:
    """80/20, RFM segments and repeat purchases from the latest customers snapshot."""
    principal = require(router, "admin")
    body = customers.customers_report(default_context(), principal.tenant_id, first, last)
    if wants_csv():  # the segments, one row each
        items = (body["rfm"] or {}).get("segments") or []
        rows = [{**item, "revenue": item["revenue"]["amount"]} for item in items]
        return answer({"items": rows}, ("segment", "members", "revenue", "revenue_share"))
    return answer(body)


@_admin(
    "GET",
    "/v1/reports/reminders",
    "Reminder and birthday response",
    "The share of members reminded (`points.expiring`) or given a birthday bonus who spent or bought"
    " within `within_days` days. CSV on `Accept: text/csv`.",
    responses(200, RemindersResponse, 422),
)
def reminders(
    first: From = None,
    last: To = None,
    within_days: Annotated[int, Query(ge=0, le=RESPONSE_DAYS)] = 7,
) -> Response[str]:
    """Response to expiry reminders (`points.expiring`) and birthday bonuses."""
    principal = require(router, "admin")
    body = reports.reminders(default_context(), principal.tenant_id, first, last, within_days)
    if wants_csv():
        rows = [{"cue": kind, **body[kind]} for kind in ("reminders", "birthdays")]
        return answer({"items": rows}, ("cue", "members", "responded", "response_rate"))
    return answer(body)
