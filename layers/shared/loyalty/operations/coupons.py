"""Coupons: templates (admin), issuing (given by an admin, bought with points, or by an event:
`issue_for_event` is the hook for signup, purchase, birthday and referral), checking a code
against an order, and using it once (a conditional update: of concurrent uses exactly one wins;
the same order using it again is answered the same)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, timedelta

from loyalty.domain.calendar import local_date
from loyalty.domain.coupons import check_coupon, new_code
from loyalty.domain.idempotency import request_fingerprint
from loyalty.domain.ledger import debit
from loyalty.errors import (
    CouponNotFoundError,
    CouponTemplateNotFoundError,
    CouponUnusableError,
    ForbiddenError,
    InvalidRequestError,
    MemberNotFoundError,
)
from loyalty.models.api import Balance
from loyalty.models.common import amount_str
from loyalty.models.rewards import (
    CouponCheckRequest,
    CouponCheckResponse,
    CouponIssueRequest,
    CouponResponse,
    CouponTemplate,
    CouponTemplateResponse,
    CouponUseRequest,
    Trigger,
)
from loyalty.operations.context import Context, Outcome, Principal, member_to_change, with_retries
from loyalty.operations.holds import spendable
from loyalty.operations.paging import DEFAULT_PAGE, MAX_PAGE, decode_after, page
from loyalty.operations.views import balance
from loyalty.store.coupon_store import CouponRecord, CouponStore
from loyalty.store.ledger_store import OperationRecord, PostingCommit

ISSUE = "coupon_issue"


def _store(context: Context) -> CouponStore:
    return CouponStore(context.ledger.table_name, context.ledger.client)


def put_template(
    context: Context, principal: Principal, template_id: str, template: CouponTemplate
) -> Outcome:
    _store(context).put_template(principal.tenant_id, template_id, template, context.clock())
    return Outcome(200, _template_view(template_id, template))


def list_templates(
    context: Context, tenant_id: str, limit: int = DEFAULT_PAGE, cursor: str | None = None
) -> Outcome:
    templates, after = _store(context).template_page(
        tenant_id, min(limit, MAX_PAGE), decode_after(cursor) if cursor else None
    )
    return Outcome(200, page([_template_view(*pair) for pair in templates], after))


def _template_view(template_id: str, template: CouponTemplate) -> dict[str, object]:
    return CouponTemplateResponse(template_id=template_id, **template.model_dump()).model_dump(mode="json")


def issue(
    context: Context,
    principal: Principal,
    member_id: str,
    request: CouponIssueRequest,
    code_factory: Callable[[], str] = new_code,
) -> Outcome:
    """Give a coupon (admin keys) or sell it for the template's points (the member's debit, the
    coupon and its idempotency record in one transaction); once per issue id."""
    if not request.pay_with_points and principal.scope != "admin":
        raise ForbiddenError("giving coupons away needs a key with the 'admin' scope")
    tenant_id = principal.tenant_id
    fingerprint = request_fingerprint(ISSUE, request, member_id=member_id)
    store = _store(context)

    def attempt() -> Outcome:
        member = member_to_change(context, tenant_id, member_id, ISSUE, request.issue_id)
        template = store.read_template(tenant_id, request.template_id)
        if template is None:
            raise CouponTemplateNotFoundError(f"coupon template {request.template_id!r} not found")
        if request.pay_with_points and template.points_cost is None:
            raise InvalidRequestError(f"coupon template {request.template_id!r} is not for sale")
        now = context.clock().astimezone(UTC)
        coupon = CouponRecord(
            code=code_factory(),
            template_id=request.template_id,
            template=template,
            member_id=member_id,
            status="issued",
            valid_until=now + timedelta(days=template.valid_days),
            issued_at=now,
            points_paid=template.points_cost if request.pay_with_points and template.points_cost else 0,
        )
        record, reference = store.put_coupon(tenant_id, coupon, now)
        if not coupon.points_paid:
            body = coupon_view(coupon)
            context.ledger.record(
                tenant_id,
                OperationRecord(ISSUE, request.issue_id, fingerprint, 201, body),
                now,
                (record, reference),
            )
            return Outcome(201, body)
        program = context.programs.get(tenant_id)
        member = spendable(context, member, program, now)
        posting = debit(
            member.account,
            member.lots,
            coupon.points_paid,
            today=local_date(now, program.timezone),
            shortfall="refuse",
        )
        body = coupon_view(coupon, balance(posting.after))
        context.ledger.commit(
            PostingCommit(
                tenant_id=tenant_id,
                member_id=member_id,
                posting=posting,
                entry={
                    "type": "redeem",
                    "source": "coupon",
                    "coupon_code": coupon.code,
                    "reward_id": request.template_id,
                },
                operation=OperationRecord(ISSUE, request.issue_id, fingerprint, 201, body),
                now=now,
                extra=(record, reference),
            )
        )
        return Outcome(201, body)

    return with_retries(
        context,
        attempt,
        lambda: context.ledger.read_operation(tenant_id, ISSUE, request.issue_id),
        fingerprint,
    )


def issue_for_event(
    context: Context, tenant_id: str, member_id: str, trigger: Trigger, natural_id: str
) -> list[Outcome]:
    """The hook: every template issued on `trigger` gives the member one coupon, once per event
    (`natural_id`: the member id for signup, the order id for a purchase, the year for a birthday,
    the referee for a referral)."""
    giver = Principal(tenant_id=tenant_id, scope="admin", key_id=f"event:{trigger}")
    return [
        issue(
            context,
            giver,
            member_id,
            CouponIssueRequest(
                issue_id=_event_issue_id(trigger, natural_id, template_id), template_id=template_id
            ),
        )
        for template_id, template in _store(context).list_templates(tenant_id)
        if trigger in template.issue_on
    ]


def coupon_view(coupon: CouponRecord, after: Balance | None = None) -> dict[str, object]:
    template = coupon.template
    return CouponResponse(
        code=coupon.code,
        member_id=coupon.member_id,
        template_id=coupon.template_id,
        name=template.name,
        kind=template.kind,
        amount_off=amount_str(template.amount_off) if template.amount_off is not None else None,
        percent_off=template.percent_off,
        min_spend=amount_str(template.min_spend) if template.min_spend is not None else None,
        valid_until=coupon.valid_until,
        status=coupon.status,
        order_id=coupon.order_id,
        points_paid=coupon.points_paid,
        balance=after,
    ).model_dump(mode="json")


def list_member_coupons(
    context: Context, tenant_id: str, member_id: str, limit: int = DEFAULT_PAGE, cursor: str | None = None
) -> Outcome:
    coupons, after = _store(context).member_coupons(
        tenant_id, member_id, min(limit, MAX_PAGE), decode_after(cursor) if cursor else None
    )
    # A member without coupons and no member at all (or another tenant's) query alike: only the
    # member item tells them apart, and a missing member is 404 as on every member route
    if not coupons and context.ledger.read_member(tenant_id, member_id) is None:
        raise MemberNotFoundError(f"member {member_id!r} not found")
    return Outcome(200, page([coupon_view(coupon) for coupon in coupons], after))


def _coupon(context: Context, tenant_id: str, code: str) -> CouponRecord:
    coupon = _store(context).read_coupon(tenant_id, code)
    if coupon is None:
        raise CouponNotFoundError(f"coupon {code!r} not found")
    return coupon


def check(context: Context, tenant_id: str, code: str, request: CouponCheckRequest) -> Outcome:
    """Would the coupon apply to this order now, and for how much (changes nothing)."""
    coupon = _coupon(context, tenant_id, code)
    program = context.programs.get(tenant_id)
    if request.currency != program.currency:
        raise InvalidRequestError(f"this program's coupons are in {program.currency}, not {request.currency}")
    result = check_coupon(
        coupon.template,
        status=coupon.status,
        owner=coupon.member_id,
        valid_until=coupon.valid_until,
        member_id=request.member_id,
        amount=request.amount,
        now=context.clock(),
    )
    return Outcome(
        200,
        CouponCheckResponse(
            code=code,
            valid=result.valid,
            reason=result.reason,
            discount={"amount": amount_str(result.discount), "currency": program.currency}
            if result.valid
            else None,
            free_shipping=result.free_shipping,
        ).model_dump(mode="json"),
    )


def use(context: Context, tenant_id: str, code: str, request: CouponUseRequest) -> Outcome:
    """Use the coupon for `order_id`: exactly once. The same order again answers the same; any
    other use afterwards is 409."""
    store = _store(context)
    program = context.programs.get(tenant_id)
    if request.currency != program.currency:
        raise InvalidRequestError(f"this program's coupons are in {program.currency}, not {request.currency}")
    for _ in range(context.max_attempts):
        coupon = _coupon(context, tenant_id, code)
        if coupon.status == "used":
            if (coupon.order_id, coupon.member_id) == (request.order_id, request.member_id):
                return Outcome(200, _used_view(coupon, program.currency))
            raise CouponUnusableError(f"coupon {code!r} was already used")
        now = context.clock().astimezone(UTC)
        result = check_coupon(
            coupon.template,
            status=coupon.status,
            owner=coupon.member_id,
            valid_until=coupon.valid_until,
            member_id=request.member_id,
            amount=request.amount,
            now=now,
        )
        if not result.valid:
            raise CouponUnusableError(str(result.reason))
        used = replace(coupon, status="used", order_id=request.order_id, discount=result.discount)
        if store.use(tenant_id, used, now):
            return Outcome(200, _used_view(used, program.currency))
    raise CouponUnusableError(f"coupon {code!r} keeps changing; retry")


def _used_view(coupon: CouponRecord, currency: str) -> dict[str, object]:
    return CouponCheckResponse(
        code=coupon.code,
        valid=True,
        discount={"amount": amount_str(coupon.discount), "currency": currency},
        free_shipping=coupon.template.kind == "free_shipping",
        order_id=coupon.order_id,
    ).model_dump(mode="json")


def _event_issue_id(trigger: str, natural_id: str, template_id: str) -> str:
    """One issue id per (event, template); ids too long for a natural id are hashed, never cut
    (two templates of one long order id must not share an id)."""
    spelled = f"{trigger}.{natural_id}.{template_id}"
    if len(spelled) <= 64:
        return spelled
    return f"{trigger}.{hashlib.sha256(spelled.encode()).hexdigest()[:48]}"
