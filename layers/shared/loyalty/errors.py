"""Domain exceptions, one class per problem. Each states, as class keywords, what the HTTP edge
needs (status, problem type, title); the one mapping to problem+json lives in
`loyalty.http.problems`. The base classes (`NotFoundError`, `ConflictError`, ...) are what callers
catch; a class states its status even where its base has the same one, so each line reads alone."""

from __future__ import annotations


class LoyaltyError(Exception):
    """Base of every business outcome that is not a success."""

    status = 400
    problem = "bad-request"
    title = "Bad request"

    def __init_subclass__(cls, *, status: int, problem: str, title: str) -> None:
        super().__init_subclass__()
        cls.status = status
        cls.problem = problem
        cls.title = title

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


# Missing, or owned by another tenant: the two are indistinguishable by design.
class NotFoundError(
    LoyaltyError,
    status=404,
    problem="not-found",
    title="Not found",
): ...


class MemberNotFoundError(
    NotFoundError,
    status=404,
    problem="member-not-found",
    title="Member not found",
): ...


class PurchaseNotFoundError(
    NotFoundError,
    status=404,
    problem="purchase-not-found",
    title="Purchase not found",
): ...


class TenantNotFoundError(
    NotFoundError,
    status=404,
    problem="tenant-not-found",
    title="Tenant not found",
): ...


class ConflictError(
    LoyaltyError,
    status=409,
    problem="conflict",
    title="Conflict",
): ...


# The natural id was already used with a different request body.
class IdempotencyConflictError(
    ConflictError,
    status=409,
    problem="idempotency-conflict",
    title="Id already used with a different request",
): ...


class InsufficientPointsError(
    ConflictError,
    status=409,
    problem="insufficient-points",
    title="Not enough available points",
): ...


# The member is frozen: nothing can be spent until an admin makes it active again.
class MemberFrozenError(
    ConflictError,
    status=409,
    problem="member-frozen",
    title="The member is frozen",
): ...


# The member was erased: nothing more is recorded for it, and its id cannot be enrolled again.
class MemberErasedError(
    ConflictError,
    status=409,
    problem="member-erased",
    title="The member was erased",
): ...


class ReviewNotFoundError(
    NotFoundError,
    status=404,
    problem="review-not-found",
    title="Review not found",
): ...


# The review was resolved already (released or forfeited).
class ReviewClosedError(
    ConflictError,
    status=409,
    problem="review-closed",
    title="The review is resolved already",
): ...


class AlreadyExistsError(
    ConflictError,
    status=409,
    problem="already-exists",
    title="Already exists",
): ...


class ProgramChangedError(
    ConflictError,
    status=409,
    problem="program-changed",
    title="The program changed meanwhile",
): ...


class CurrencyLockedError(
    ConflictError,
    status=409,
    problem="currency-locked",
    title="The program's currency cannot change once points were earned in it",
): ...


# An If-Match that names no current version of what the request changes.
class PreconditionFailedError(
    LoyaltyError,
    status=412,
    problem="precondition-failed",
    title="The resource changed since it was read",
): ...


class RefundExceedsPurchaseError(
    ConflictError,
    status=409,
    problem="refund-exceeds-purchase",
    title="Refunds would exceed the purchase amount",
): ...


# Well-formed but unacceptable for this program (e.g. a currency the program does not use).
class InvalidRequestError(
    LoyaltyError,
    status=422,
    problem="invalid-request",
    title="Invalid request",
): ...


# `occurred_at` later than now beyond the clock skew allowed: a request no later retry can fix, so it
# is a validation error (and a dead letter on the purchase queue).
class OccurredInTheFutureError(
    InvalidRequestError,
    status=422,
    problem="validation-error",
    title="Invalid request",
): ...


class UnauthorizedError(
    LoyaltyError,
    status=401,
    problem="unauthorized",
    title="Missing or unknown API key",
): ...


class ForbiddenError(
    LoyaltyError,
    status=403,
    problem="forbidden",
    title="The API key lacks the scope for this call",
): ...


class PayloadTooLargeError(
    LoyaltyError,
    status=413,
    problem="payload-too-large",
    title="Request body too large",
): ...


class TransientError(Exception):
    """Throttling, transaction conflicts or contention that outlived our retries: try again later.

    Not a LoyaltyError: it is never the caller's fault, so the HTTP edge answers 503 and the
    queue consumer lets SQS redeliver."""


# --- redemption ------------------------------------------------------------------------------------
class RewardNotFoundError(
    NotFoundError,
    status=404,
    problem="reward-not-found",
    title="Reward not found",
): ...


class RedemptionNotFoundError(
    NotFoundError,
    status=404,
    problem="redemption-not-found",
    title="Redemption not found",
): ...


class HoldNotFoundError(
    NotFoundError,
    status=404,
    problem="hold-not-found",
    title="Hold not found",
): ...


class OutOfStockError(
    ConflictError,
    status=409,
    problem="out-of-stock",
    title="Not enough stock left",
): ...


# Outside its active window, or not for the member's tier.
class RewardUnavailableError(
    ConflictError,
    status=409,
    problem="reward-unavailable",
    title="The reward cannot be redeemed now by this member",
): ...


# The program's last redeeming day is over: what was left has expired.
class ProgramEndedError(
    ConflictError,
    status=409,
    problem="program-ended",
    title="The program has ended",
): ...


class MemberLimitReachedError(
    ConflictError,
    status=409,
    problem="member-limit-reached",
    title="The member reached the limit for this",
): ...


class RedemptionStateError(
    ConflictError,
    status=409,
    problem="redemption-state",
    title="The redemption is not in a state that allows this",
): ...


# Captured, released, or expired (an expired hold has released its points).
class HoldClosedError(
    ConflictError,
    status=409,
    problem="hold-closed",
    title="The hold is no longer open",
): ...


# The hold was made for one order and a capture names another.
class HoldOrderMismatchError(
    ConflictError,
    status=409,
    problem="hold-order-mismatch",
    title="The hold was made for another order",
): ...


# A capture asks for more points than the hold holds.
class CaptureExceedsHoldError(
    ConflictError,
    status=409,
    problem="capture-exceeds-hold",
    title="The capture is more than the hold holds",
): ...


# A hold stating its order's amount asks for more points than the program's `max_share_of_order` lets
# that order use.
class ShareOfOrderExceededError(
    ConflictError,
    status=409,
    problem="share-of-order-exceeded",
    title="More points than the program lets this order use",
): ...


# Points refunded for a hold's order past what its capture spent (or a hold not captured).
class RefundExceedsCaptureError(
    ConflictError,
    status=409,
    problem="refund-exceeds-capture",
    title="The refunds are more than the capture spent",
): ...


class CouponNotFoundError(
    NotFoundError,
    status=404,
    problem="coupon-not-found",
    title="Coupon not found",
): ...


class CouponTemplateNotFoundError(
    NotFoundError,
    status=404,
    problem="coupon-template-not-found",
    title="Coupon template not found",
): ...


# Used already, expired, another member's, or the order does not qualify.
class CouponUnusableError(
    ConflictError,
    status=409,
    problem="coupon-unusable",
    title="The coupon cannot be used for this order",
): ...


class LotteryNotFoundError(
    NotFoundError,
    status=404,
    problem="lottery-not-found",
    title="Lottery not found",
): ...


# --- bulk jobs ---------------------------------------------------------------------------------------
class ExportNotFoundError(
    NotFoundError,
    status=404,
    problem="export-not-found",
    title="Export not found",
): ...


# --- webhooks --------------------------------------------------------------------------------------
class WebhookNotFoundError(
    NotFoundError,
    status=404,
    problem="webhook-not-found",
    title="Webhook not found",
): ...


class DeliveryNotFoundError(
    NotFoundError,
    status=404,
    problem="delivery-not-found",
    title="Webhook delivery not found",
): ...


# A receiver URL that is not https on the public internet (see docs/webhooks.md).
class WebhookTargetError(
    InvalidRequestError,
    status=422,
    problem="webhook-target-refused",
    title="The webhook URL is not allowed",
): ...


class WebhookLimitError(
    ConflictError,
    status=409,
    problem="webhook-limit",
    title="The tenant has as many webhooks as allowed",
): ...


# --- paid membership -------------------------------------------------------------------------------
class MembershipNotFoundError(
    NotFoundError,
    status=404,
    problem="membership-not-found",
    title="Membership not found",
): ...


# A membership for a plan the program does not sell.
class UnknownPlanError(
    InvalidRequestError,
    status=422,
    problem="unknown-plan",
    title="No such membership plan",
): ...


# The amount or currency paid is not the plan's price.
class MembershipPriceError(
    InvalidRequestError,
    status=422,
    problem="price-mismatch",
    title="The amount paid is not the plan's price",
): ...


# A membership that lapsed (or was cancelled with another request) cannot be cancelled.
class MembershipEndedError(
    ConflictError,
    status=409,
    problem="membership-ended",
    title="The membership has ended",
): ...


# --- imports ---------------------------------------------------------------------------------------
class ImportNotFoundError(
    NotFoundError,
    status=404,
    problem="import-not-found",
    title="Import not found",
): ...


# A revert of an import that has not finished (or was never applied).
class ImportStateError(
    ConflictError,
    status=409,
    problem="import-state",
    title="The import cannot do this in its state",
): ...


# The file cannot be read at all (no header, no member_id or points column, another type).
class ImportFileError(
    InvalidRequestError,
    status=422,
    problem="import-file",
    title="The import file cannot be read",
): ...


class ImportMediaTypeError(
    LoyaltyError,
    status=415,
    problem="unsupported-media-type",
    title="Unsupported media type",
): ...
