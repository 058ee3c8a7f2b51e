"""Webhooks and their delivery logs.

| item          | PK                           | SK                          |
|---------------|------------------------------|-----------------------------|
| webhook       | T#{tenant}                   | WEBHOOK#{webhook_id}        |
| delivery      | T#{tenant}#WH#{webhook_id}   | DELIVERY#{delivery_id}      |

A tenant's webhooks are one short Query (the dispatcher's read per event); a webhook's deliveries
sort by the event's time (the delivery id starts with it), so the log reads newest first from the
key alone. Deliveries are cleaned up by TTL after :data:`DELIVERY_RETENTION_DAYS` (clean-up only:
nothing reads the TTL attribute). Signing secrets are kept in the item (the table is encrypted at
rest; the API never shows a secret again after creation or rotation).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from loyalty.models.webhooks import DeliveryRecord, DeliveryStatus, SigningSecret, WebhookRecord
from loyalty.store import keys
from loyalty.store.table import TableStore, from_item, names, to_item, values

WEBHOOK_PREFIX = "WEBHOOK#"
DELIVERY_PREFIX = "DELIVERY#"
DELIVERY_RETENTION_DAYS = 30


def webhook_key(tenant_id: str, webhook_id: str) -> dict[str, Any]:
    return to_item({"PK": keys.tenant_pk(tenant_id), "SK": WEBHOOK_PREFIX + webhook_id})


def deliveries_pk(tenant_id: str, webhook_id: str) -> str:
    return f"{keys.tenant_pk(tenant_id)}#WH#{webhook_id}"


def delivery_key(tenant_id: str, webhook_id: str, delivery_id: str) -> dict[str, Any]:
    return to_item({"PK": deliveries_pk(tenant_id, webhook_id), "SK": DELIVERY_PREFIX + delivery_id})


class WebhookStore(TableStore):
    # ------------------------------------------------------------------------------- webhooks
    def create_webhook(self, record: WebhookRecord) -> bool:
        """Put a new webhook; False when one with that id exists already."""
        item = {
            "PK": keys.tenant_pk(record.tenant_id),
            "SK": WEBHOOK_PREFIX + record.webhook_id,
            **record.model_dump(mode="json"),
        }
        try:
            self.client.put_item(
                TableName=self.table_name,
                Item=to_item(item),
                ConditionExpression="attribute_not_exists(PK)",
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def update_webhook(self, record: WebhookRecord) -> bool:
        """Change url, events and description of an existing webhook; False when it is gone."""
        try:
            self.client.update_item(
                TableName=self.table_name,
                Key=webhook_key(record.tenant_id, record.webhook_id),
                UpdateExpression="SET #url = :url, #events = :events, #description = :description, "
                "#updated_at = :updated_at",
                ConditionExpression="attribute_exists(PK)",
                ExpressionAttributeNames=names("url", "events", "description", "updated_at"),
                ExpressionAttributeValues=values(
                    url=record.url,
                    events=record.events,
                    description=record.description,
                    updated_at=record.updated_at.isoformat(),
                ),
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def set_secrets(
        self, tenant_id: str, webhook_id: str, secrets: list[SigningSecret], now: datetime
    ) -> bool:
        try:
            self.client.update_item(
                TableName=self.table_name,
                Key=webhook_key(tenant_id, webhook_id),
                UpdateExpression="SET #secrets = :secrets, #updated_at = :updated_at",
                ConditionExpression="attribute_exists(PK)",
                ExpressionAttributeNames=names("secrets", "updated_at"),
                ExpressionAttributeValues=values(
                    secrets=[secret.model_dump(mode="json") for secret in secrets],
                    updated_at=now.isoformat(),
                ),
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def get_webhook(self, tenant_id: str, webhook_id: str) -> WebhookRecord | None:
        item = self.client.get_item(
            TableName=self.table_name, Key=webhook_key(tenant_id, webhook_id), ConsistentRead=True
        ).get("Item")
        return WebhookRecord.model_validate(from_item(item)) if item else None

    def list_webhooks(self, tenant_id: str) -> list[WebhookRecord]:
        """Every webhook of the tenant (a handful: the API caps them), by id."""
        items = self.query_all(
            {
                "KeyConditionExpression": "PK = :pk AND begins_with(SK, :prefix)",
                "ExpressionAttributeValues": values(pk=keys.tenant_pk(tenant_id), prefix=WEBHOOK_PREFIX),
            }
        )
        return [WebhookRecord.model_validate(item) for item in items]

    def delete_webhook(self, tenant_id: str, webhook_id: str) -> bool:
        try:
            self.client.delete_item(
                TableName=self.table_name,
                Key=webhook_key(tenant_id, webhook_id),
                ConditionExpression="attribute_exists(PK)",
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    # ----------------------------------------------------------------------------- deliveries
    def create_delivery(self, record: DeliveryRecord) -> DeliveryRecord | None:
        """Put a delivery unless it exists (the same event reached the dispatcher twice); None when
        created, else the one already there."""
        expires = record.created_at + timedelta(days=DELIVERY_RETENTION_DAYS)
        item = {
            "PK": deliveries_pk(record.tenant_id, record.webhook_id),
            "SK": DELIVERY_PREFIX + record.delivery_id,
            "ttl_epoch": int(expires.timestamp()),
            **record.model_dump(mode="json"),
        }
        try:
            self.client.put_item(
                TableName=self.table_name,
                Item=to_item(item),
                ConditionExpression="attribute_not_exists(PK)",
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            return self.get_delivery(record.tenant_id, record.webhook_id, record.delivery_id)
        return None

    def get_delivery(self, tenant_id: str, webhook_id: str, delivery_id: str) -> DeliveryRecord | None:
        item = self.client.get_item(
            TableName=self.table_name,
            Key=delivery_key(tenant_id, webhook_id, delivery_id),
            ConsistentRead=True,
        ).get("Item")
        return DeliveryRecord.model_validate(from_item(item)) if item else None

    def list_deliveries(
        self, tenant_id: str, webhook_id: str, limit: int, before: str | None
    ) -> tuple[list[DeliveryRecord], str | None]:
        """Newest first; the page and the delivery id to continue before, if any."""
        request: dict[str, Any] = {
            "TableName": self.table_name,
            "KeyConditionExpression": "PK = :pk AND begins_with(SK, :prefix)",
            "ExpressionAttributeValues": values(
                pk=deliveries_pk(tenant_id, webhook_id), prefix=DELIVERY_PREFIX
            ),
            "ScanIndexForward": False,
            "Limit": limit + 1,
        }
        if before is not None:
            request["ExclusiveStartKey"] = delivery_key(tenant_id, webhook_id, before)
        items = [
            DeliveryRecord.model_validate(from_item(item))
            for item in self.client.query(**request).get("Items", [])
        ]
        page = items[:limit]
        return page, (page[-1].delivery_id if len(items) > limit and page else None)

    def record_attempt(
        self,
        record: DeliveryRecord,
        status: DeliveryStatus,
        *,
        at: datetime,
        status_code: int | None,
        error: str | None,
        next_attempt_at: datetime | None,
    ) -> None:
        """One more attempt, its outcome and what comes next (attempts only ever grow)."""
        self.client.update_item(
            TableName=self.table_name,
            Key=delivery_key(record.tenant_id, record.webhook_id, record.delivery_id),
            UpdateExpression="SET #status = :status, #last_status_code = :code, #last_error = :error, "
            "#last_attempt_at = :at, #next_attempt_at = :next ADD #attempts :one",
            ConditionExpression="attribute_exists(PK)",
            ExpressionAttributeNames=names(
                "status", "last_status_code", "last_error", "last_attempt_at", "next_attempt_at", "attempts"
            ),
            ExpressionAttributeValues=values(
                status=status,
                code=status_code,
                error=error[:500] if error else None,
                at=at.isoformat(),
                next=next_attempt_at.isoformat() if next_attempt_at else None,
                one=1,
            ),
        )

    def set_status(
        self, record: DeliveryRecord, status: DeliveryStatus, next_attempt_at: datetime | None
    ) -> None:
        self.client.update_item(
            TableName=self.table_name,
            Key=delivery_key(record.tenant_id, record.webhook_id, record.delivery_id),
            UpdateExpression="SET #status = :status, #next_attempt_at = :next",
            ConditionExpression="attribute_exists(PK)",
            ExpressionAttributeNames=names("status", "next_attempt_at"),
            ExpressionAttributeValues=values(
                status=status, next=next_attempt_at.isoformat() if next_attempt_at else None
            ),
        )
