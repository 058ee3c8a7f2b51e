"""Domain exceptions. Each carries what the HTTP edge needs (status, problem type, title);
the one mapping to problem+json lives in `loyalty.http.problems`."""

from __future__ import annotations


class LoyaltyError(Exception):
    """Base of every business outcome that is not a success."""

    status = 400
    problem = "bad-request"
    title = "Bad request"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFoundError(LoyaltyError):
    """Missing, or owned by another tenant: the two are indistinguishable by design."""

    status = 404
    problem = "not-found"
    title = "Not found"


class MemberNotFoundError(NotFoundError):
    problem = "member-not-found"
    title = "Member not found"


class PurchaseNotFoundError(NotFoundError):
    problem = "purchase-not-found"
    title = "Purchase not found"


class TenantNotFoundError(NotFoundError):
    problem = "tenant-not-found"
    title = "Tenant not found"


class ConflictError(LoyaltyError):
    status = 409
    problem = "conflict"
    title = "Conflict"


class IdempotencyConflictError(ConflictError):
    """The natural id was already used with a different request body."""

    problem = "idempotency-conflict"
    title = "Id already used with a different request"


class InsufficientPointsError(ConflictError):
    problem = "insufficient-points"
    title = "Not enough available points"


class MemberFrozenError(ConflictError):
    """The member is frozen: nothing can be spent until an admin makes it active again."""

    problem = "member-frozen"
    title = "The member is frozen"


class MemberErasedError(ConflictError):
    """The member was erased: nothing more is recorded for it, and its id cannot be enrolled again."""

    problem = "member-erased"
    title = "The member was erased"


class ReviewNotFoundError(NotFoundError):
    problem = "review-not-found"
    title = "Review not found"


class ReviewClosedError(ConflictError):
    """The review was resolved already (released or forfeited)."""

    problem = "review-closed"
    title = "The review is resolved already"


class AlreadyExistsError(ConflictError):
    problem = "already-exists"
    title = "Already exists"


class ProgramChangedError(ConflictError):
    problem = "program-changed"
    title = "The program changed meanwhile"


class CurrencyLockedError(ConflictError):
    problem = "currency-locked"
    title = "The program's currency cannot change once points were earned in it"


class PreconditionFailedError(LoyaltyError):
    """An If-Match that names no current version of what the request changes."""

    status = 412
    problem = "precondition-failed"
    title = "The resource changed since it was read"


class RefundExceedsPurchaseError(ConflictError):
    problem = "refund-exceeds-purchase"
    title = "Refunds would exceed the purchase amount"


class InvalidRequestError(LoyaltyError):
    """Well-formed but unacceptable for this program (e.g. a currency the program does not use)."""

    status = 422
    problem = "invalid-request"
    title = "Invalid request"


class OccurredInTheFutureError(InvalidRequestError):
    """`occurred_at` later than now beyond the clock skew allowed: a request no later retry can fix,
    so it is a validation error (and a dead letter on the purchase queue)."""

    problem = "validation-error"


class UnauthorizedError(LoyaltyError):
    status = 401
    problem = "unauthorized"
    title = "Missing or unknown API key"


class ForbiddenError(LoyaltyError):
    status = 403
    problem = "forbidden"
    title = "The API key lacks the scope for this call"


class PayloadTooLargeError(LoyaltyError):
    status = 413
    problem = "payload-too-large"
    title = "Request body too large"


class TransientError(Exception):
    """Throttling, transaction conflicts or contention that outlived our retries: try again later.

    Not a LoyaltyError: it is never the caller's fault, so the HTTP edge answers 503 and the
    queue consumer lets SQS redeliver."""


# --- redemption ------------------------------------------------------------------------------------
class RewardNotFoundError(NotFoundError):
    problem = "reward-not-found"
    title = "Reward not found"


class RedemptionNotFoundError(NotFoundError):
    problem = "redemption-not-found"
    title = "Redemption not found"


class HoldNotFoundError(NotFoundError):
    problem = "hold-not-found"
    title = "Hold not found"


class OutOfStockError(ConflictError):
    problem = "out-of-stock"
    title = "Not enough stock left"


class RewardUnavailableError(ConflictError):
    """Outside its active window, or not for the member's tier."""

    problem = "reward-unavailable"
    title = "The reward cannot be redeemed now by this member"


class ProgramEndedError(ConflictError):
    """The program's last redeeming day is over: what was left has expired."""

    problem = "program-ended"
    title = "The program has ended"


class MemberLimitReachedError(ConflictError):
    problem = "member-limit-reached"
    title = "The member reached the limit for this"


class RedemptionStateError(ConflictError):
    problem = "redemption-state"
    title = "The redemption is not in a state that allows this"


class HoldClosedError(ConflictError):
    """Captured, released, or expired (an expired hold has released its points)."""

    problem = "hold-closed"
    title = "The hold is no longer open"


class HoldOrderMismatchError(ConflictError):
    """The hold was made for one order and a capture names another."""

    problem = "hold-order-mismatch"
    title = "The hold was made for another order"


class CaptureExceedsHoldError(ConflictError):
    """A capture asks for more points than the hold holds."""

    problem = "capture-exceeds-hold"
    title = "The capture is more than the hold holds"


class ShareOfOrderExceededError(ConflictError):
    """A hold stating its order's amount asks for more points than the program's
    `max_share_of_order` lets that order use."""

    problem = "share-of-order-exceeded"
    title = "More points than the program lets this order use"


class RefundExceedsCaptureError(ConflictError):
    """Points refunded for a hold's order past what its capture spent (or a hold not captured)."""

    problem = "refund-exceeds-capture"
    title = "The refunds are more than the capture spent"


class CouponNotFoundError(NotFoundError):
    problem = "coupon-not-found"
    title = "Coupon not found"


class CouponTemplateNotFoundError(NotFoundError):
    problem = "coupon-template-not-found"
    title = "Coupon template not found"


class CouponUnusableError(ConflictError):
    """Used already, expired, another member's, or the order does not qualify."""

    problem = "coupon-unusable"
    title = "The coupon cannot be used for this order"


class LotteryNotFoundError(NotFoundError):
    problem = "lottery-not-found"
    title = "Lottery not found"


# --- bulk jobs ---------------------------------------------------------------------------------------
class ExportNotFoundError(NotFoundError):
    problem = "export-not-found"
    title = "Export not found"


# --- webhooks --------------------------------------------------------------------------------------
class WebhookNotFoundError(NotFoundError):
    problem = "webhook-not-found"
    title = "Webhook not found"


class DeliveryNotFoundError(NotFoundError):
    problem = "delivery-not-found"
    title = "Webhook delivery not found"


class WebhookTargetError(InvalidRequestError):
    """A receiver URL that is not https on the public internet (see docs/webhooks.md)."""

    problem = "webhook-target-refused"
    title = "The webhook URL is not allowed"


class WebhookLimitError(ConflictError):
    problem = "webhook-limit"
    title = "The tenant has as many webhooks as allowed"


# --- paid membership -------------------------------------------------------------------------------
class MembershipNotFoundError(NotFoundError):
    problem = "membership-not-found"
    title = "Membership not found"


class UnknownPlanError(InvalidRequestError):
    """A membership for a plan the program does not sell."""

    problem = "unknown-plan"
    title = "No such membership plan"


class MembershipPriceError(InvalidRequestError):
    """The amount or currency paid is not the plan's price."""

    problem = "price-mismatch"
    title = "The amount paid is not the plan's price"


class MembershipEndedError(ConflictError):
    """A membership that lapsed (or was cancelled with another request) cannot be cancelled."""

    problem = "membership-ended"
    title = "The membership has ended"


# --- imports ---------------------------------------------------------------------------------------
class ImportNotFoundError(NotFoundError):
    problem = "import-not-found"
    title = "Import not found"


class ImportStateError(ConflictError):
    """A revert of an import that has not finished (or was never applied)."""

    problem = "import-state"
    title = "The import cannot do this in its state"


class ImportFileError(InvalidRequestError):
    """The file cannot be read at all (no header, no member_id or points column, another type)."""

    problem = "import-file"
    title = "The import file cannot be read"


class ImportMediaTypeError(LoyaltyError):
    status = 415
    problem = "unsupported-media-type"
    title = "Unsupported media type"
