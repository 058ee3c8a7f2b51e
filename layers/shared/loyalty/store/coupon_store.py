"""Coupon templates (under the tenant), coupons (one item per code, so a code finds its coupon
in one read) and each member's list of coupons (a reference under the member's partition).
Using a coupon is one conditional update: only an issued coupon becomes used, once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from loyalty.models.rewards import CouponTemplate
from loyalty.store import keys
from loyalty.store.codec import decode
from loyalty.store.table import Guarded, TableStore, from_item, names, put, to_item, update, values


@dataclass(frozen=True)
class CouponRecord:
    code: str
    template_id: str
    template: CouponTemplate  # as it was when issued: a later template change does not alter it
    member_id: str
    status: str  # issued, used
    valid_until: datetime
    issued_at: datetime
    points_paid: int = 0  # coupons issued before coupons had a price paid none
    order_id: str | None = None
    discount: Decimal = Decimal("0.00")


class CouponStore(TableStore):
    def put_template(self, tenant_id: str, template_id: str, template: CouponTemplate, now: datetime) -> None:
        self.client.put_item(
            TableName=self.table_name,
            Item=to_item(
                {
                    "PK": keys.tenant_pk(tenant_id),
                    "SK": keys.coupon_template_sk(template_id),
                    "template_id": template_id,
                    "document": template.model_dump_json(),
                    "updated_at": now.isoformat(),
                }
            ),
        )

    def read_template(self, tenant_id: str, template_id: str) -> CouponTemplate | None:
        item = self._get(keys.tenant_pk(tenant_id), keys.coupon_template_sk(template_id))
        return CouponTemplate.model_validate_json(item["document"]) if item else None

    def list_templates(self, tenant_id: str) -> list[tuple[str, CouponTemplate]]:
        """Every template of the tenant (what the coupon issuer matches an event against)."""
        items = self._query(keys.tenant_pk(tenant_id), keys.COUPON_TEMPLATE_PREFIX)
        return [_template(item) for item in items]

    def template_page(
        self, tenant_id: str, limit: int, after: str | None
    ) -> tuple[list[tuple[str, CouponTemplate]], str | None]:
        """Templates by id; the page and the id to continue after, if any."""
        items, next_after = self.query_page(
            keys.tenant_pk(tenant_id), keys.COUPON_TEMPLATE_PREFIX, limit, after
        )
        return [_template(item) for item in items], next_after

    def put_coupon(self, tenant_id: str, coupon: CouponRecord, now: datetime) -> tuple[Guarded, Guarded]:
        """The coupon under its code (a code is never reused) and the member's reference to it."""
        fields = {
            "tenant_id": tenant_id,
            "code": coupon.code,
            "template_id": coupon.template_id,
            "document": coupon.template.model_dump_json(),
            "member_id": coupon.member_id,
            "status": coupon.status,
            "valid_until": coupon.valid_until.isoformat(),
            "issued_at": coupon.issued_at.isoformat(),
            "points_paid": coupon.points_paid,
        }
        coupon_item = {"PK": keys.coupon_pk(tenant_id, coupon.code), "SK": keys.COUPON_SK, **fields}
        reference = {
            "PK": keys.member_pk(tenant_id, coupon.member_id),
            "SK": keys.member_coupon_sk(coupon.code),
            **fields,
        }
        return (
            Guarded(put(self.table_name, coupon_item, "attribute_not_exists(PK)")),
            Guarded(put(self.table_name, reference, "attribute_not_exists(PK)")),
        )

    def read_coupon(self, tenant_id: str, code: str) -> CouponRecord | None:
        item = self._get(keys.coupon_pk(tenant_id, code), keys.COUPON_SK)
        return _coupon(item) if item else None

    def member_coupons(
        self, tenant_id: str, member_id: str, limit: int, after: str | None
    ) -> tuple[list[CouponRecord], str | None]:
        """The member's coupons by code; the page and the code to continue after, if any."""
        items, next_after = self.query_page(
            keys.member_pk(tenant_id, member_id), keys.member_coupon_sk(""), limit, after
        )
        return [_coupon(item) for item in items], next_after

    def use(self, tenant_id: str, used: CouponRecord, now: datetime) -> bool:
        """issued -> used (by `used.order_id`, for `used.discount`), on the coupon and the member's
        reference together; False when someone used it first or it changed (re-read, decide)."""
        coupon = used
        assignments = {
            "status": "used",
            "order_id": used.order_id,
            "discount": f"{used.discount:.2f}",
            "used_at": now.isoformat(),
        }

        def use_one(pk: str, sk: str) -> dict[str, Any]:
            return update(
                self.table_name,
                {"PK": pk, "SK": sk},
                "SET " + ", ".join(f"#{name} = :{name}" for name in assignments),
                "#status = :issued AND #member_id = :member AND #valid_until > :now",
                names(*assignments, "member_id", "valid_until"),
                values(**assignments, issued="issued", member=coupon.member_id, now=now.isoformat()),
            )

        cancelled = self.transact(
            [
                use_one(keys.coupon_pk(tenant_id, coupon.code), keys.COUPON_SK),
                use_one(keys.member_pk(tenant_id, coupon.member_id), keys.member_coupon_sk(coupon.code)),
            ]
        )
        return cancelled is None

    def _get(self, pk: str, sk: str) -> dict[str, Any] | None:
        response = self.client.get_item(
            TableName=self.table_name, Key=to_item({"PK": pk, "SK": sk}), ConsistentRead=True
        )
        item = response.get("Item")
        return from_item(item) if item else None

    def _query(self, pk: str, prefix: str) -> list[dict[str, Any]]:
        return self.query_all(
            {
                "KeyConditionExpression": "PK = :pk AND begins_with(SK, :prefix)",
                "ExpressionAttributeValues": values(pk=pk, prefix=prefix),
                "ConsistentRead": True,
            }
        )


def _template(item: dict[str, Any]) -> tuple[str, CouponTemplate]:
    return item["template_id"], CouponTemplate.model_validate_json(item["document"])


def _coupon(item: dict[str, Any]) -> CouponRecord:
    return decode(CouponRecord, item, template=CouponTemplate.model_validate_json(item["document"]))
