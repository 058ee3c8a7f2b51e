"""Reviews (T#{tenant}#REVIEWS, REVIEW#{review_id}): one open review per member at a time (the
member's counters name it), opened or added to by an earn that breached a velocity rule, in the
earn's own transaction, and closed by an admin's resolution in its own. Review ids begin with the
time they were opened: a list in id order is oldest first, the order to work through them."""

from __future__ import annotations

from typing import Any

from loyalty.errors import ReviewClosedError
from loyalty.models.risk import Review, ReviewStatus
from loyalty.store import keys
from loyalty.store.table import Guarded, TableStore, from_item, names, put, to_item, update, values


class ReviewStore(TableStore):
    def open_review(self, tenant_id: str, review: Review) -> Guarded:
        return Guarded(put(self.table_name, _item(tenant_id, review), "attribute_not_exists(PK)"))

    def add_to_review(self, tenant_id: str, review_id: str, points: int) -> Guarded:
        """One more earn withheld under the member's open review (its counters name it, and the
        member's version condition orders this with the resolution)."""
        return Guarded(
            update(
                self.table_name,
                {"PK": keys.reviews_pk(tenant_id), "SK": keys.review_sk(review_id)},
                "ADD points :points, earns :one",
                "attribute_exists(PK) AND #status = :open",
                names("status"),
                values(points=points, one=1, open="open"),
            )
        )

    def resolve(self, tenant_id: str, review: Review) -> Guarded:
        """The review as resolved, only while it is still open (else 409: resolved already)."""
        return Guarded(
            put(
                self.table_name,
                _item(tenant_id, review),
                "#status = :open AND points = :points",
                names("status"),
                values(open="open", points=review.points),
                return_old=True,
            ),
            refusal=_refusal,
        )

    def read_review(self, tenant_id: str, review_id: str) -> Review | None:
        item = self.read_item(keys.reviews_pk(tenant_id), keys.review_sk(review_id))
        return Review.model_validate(item) if item else None

    def list_reviews(
        self, tenant_id: str, status: ReviewStatus | None, limit: int, after: str | None
    ) -> tuple[list[Review], str | None]:
        """Oldest first, of one status (or all), and the id to continue after when more follow."""
        request: dict[str, Any] = {
            "KeyConditionExpression": "PK = :pk AND begins_with(SK, :prefix)",
            "ExpressionAttributeValues": values(pk=keys.reviews_pk(tenant_id), prefix=keys.REVIEW_PREFIX),
            "ConsistentRead": True,
        }
        if after is not None:
            request["ExclusiveStartKey"] = to_item(
                {"PK": keys.reviews_pk(tenant_id), "SK": keys.review_sk(after)}
            )
        if status is not None:
            request["FilterExpression"] = "#status = :status"
            request["ExpressionAttributeNames"] = names("status")
            request["ExpressionAttributeValues"] |= values(status=status)
        items: list[dict[str, Any]] = []
        for raw in self.query_pages(request):
            items.extend(from_item(item) for item in raw)
            if len(items) > limit:
                break
        shown = [Review.model_validate(item) for item in items[:limit]]
        return shown, (shown[-1].review_id if len(items) > limit else None)


def _refusal(stored: dict[str, Any] | None) -> Exception | None:
    if stored is not None and stored.get("status") != "open":
        return ReviewClosedError(f"review {stored.get('review_id')!r} is {stored.get('status')}")
    return None  # more points were withheld under it meanwhile: read it again


def _item(tenant_id: str, review: Review) -> dict[str, Any]:
    return {
        "PK": keys.reviews_pk(tenant_id),
        "SK": keys.review_sk(review.review_id),
        "tenant_id": tenant_id,
        **review.model_dump(mode="json", exclude_none=True),
    }
