"""Reports (admin): JSON, or CSV when the caller accepts text/csv."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from datetime import date
from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query

from loyalty.domain.analytics import RESPONSE_DAYS
from loyalty.domain.reports import csv_rows
from loyalty.http.auth import require
from loyalty.http.routes.docs import responses, routes
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

router, route = routes(tags=["reports"])
From = Annotated[
    date | None, Query(alias="from", description="first program-local day (default: 29 days before `to`)")
]
To = Annotated[date | None, Query(alias="to", description="last program-local day (default: today)")]


def wants_csv() -> bool:
    return "text/csv" in (router.current_event.headers.get("accept") or "").lower()


def answer(body: dict[str, Any], table: Iterable[str] | None = None) -> Response[str]:
    if wants_csv():
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(csv_rows(body, table))
        return Response(status_code=200, content_type="text/csv; charset=utf-8", body=out.getvalue())
    return Response(status_code=200, content_type="application/json", body=json.dumps(body))


@route("GET", "/v1/reports/summary", "admin", responses(200, SummaryResponse, 422))
def summary(first: From = None, last: To = None) -> Response[str]:
    principal = require(router, "admin")
    return answer(reports.summary(default_context(), principal.tenant_id, first, last))


@route("GET", "/v1/reports/flows", "admin", responses(200, FlowsResponse, 422))
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


@route("GET", "/v1/reports/tiers", "admin", responses(200, TiersResponse, 422))
def tiers(first: From = None, last: To = None) -> Response[str]:
    principal = require(router, "admin")
    body = reports.tiers(default_context(), principal.tenant_id, first, last)
    if wants_csv():  # the movement matrix, one row per (from, to)
        return answer({"items": body["movements"]}, ("from", "to", "members", "direction"))
    return answer(body)


@route("GET", "/v1/reports/campaigns", "admin", responses(200, CampaignsResponse, 422))
def campaigns(first: From = None, last: To = None) -> Response[str]:
    principal = require(router, "admin")
    body = reports.campaigns(default_context(), principal.tenant_id, first, last)
    return answer(body, ("rule_id", "points", "credits", "purchases", "revenue"))


@route("GET", "/v1/reports/customers", "admin", responses(200, CustomersResponse, 422))
def customers_report(first: From = None, last: To = None) -> Response[str]:
    """80/20, RFM segments and repeat purchases from the latest customers snapshot."""
    principal = require(router, "admin")
    body = customers.customers_report(default_context(), principal.tenant_id, first, last)
    if wants_csv():  # the segments, one row each
        items = (body["rfm"] or {}).get("segments") or []
        rows = [{**item, "revenue": item["revenue"]["amount"]} for item in items]
        return answer({"items": rows}, ("segment", "members", "revenue", "revenue_share"))
    return answer(body)


@route("GET", "/v1/reports/reminders", "admin", responses(200, RemindersResponse, 422))
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
