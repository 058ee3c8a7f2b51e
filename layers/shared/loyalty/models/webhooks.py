"""Webhooks at the boundaries: the admin API's requests and responses, the delivery queue's message,
and the items the store keeps (a webhook with its secrets, one delivery's log)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from loyalty.domain.webhooks import ALL_EVENTS, PING
from loyalty.events import EVENT_TYPES
from loyalty.models.common import JsonInteger, NaturalId, ResponseModel, StrictModel, TenantId

EventType = Annotated[str, StringConstraints(min_length=1, max_length=64)]
DeliveryStatus = Literal["pending", "retrying", "succeeded", "failed", "cancelled"]
SUBSCRIBABLE = (*EVENT_TYPES, PING)


class WebhookRequest(StrictModel):
    url: Annotated[str, StringConstraints(min_length=8, max_length=2048)] = Field(
        description="https URL the events are POSTed to (public internet addresses only)"
    )
    events: list[EventType] = Field(
        min_length=1,
        max_length=len(SUBSCRIBABLE) + 1,
        description=f'Event types to deliver, or ["{ALL_EVENTS}"] for all: ' + ", ".join(EVENT_TYPES),
    )
    description: Annotated[str, StringConstraints(max_length=500)] | None = None

    @field_validator("events")
    @classmethod
    def _known(cls, events: list[str]) -> list[str]:
        unknown = [name for name in events if name != ALL_EVENTS and name not in SUBSCRIBABLE]
        if unknown:
            raise ValueError(f"unknown event types {unknown}; known: {', '.join(SUBSCRIBABLE)}")
        return list(dict.fromkeys(events))


class RotateRequest(StrictModel):
    grace_seconds: JsonInteger = Field(
        default=86_400, ge=0, le=7 * 86_400, description="How long the previous secret keeps signing"
    )


class WebhookResponse(ResponseModel):
    webhook_id: str
    url: str
    events: list[str]
    description: str | None = None
    created_at: datetime
    updated_at: datetime
    secret: str | None = Field(default=None, description="Shown once: at creation and at rotation")
    previous_secret_expires_at: datetime | None = None


class WebhooksPage(ResponseModel):
    items: list[WebhookResponse]
    next_cursor: str | None


class DeliveryResponse(ResponseModel):
    delivery_id: str
    webhook_id: str
    event_id: str
    event_type: str
    status: DeliveryStatus
    attempts: int = Field(description="Delivery attempts so far, retries included")
    last_status_code: int | None = None
    last_error: str | None = None
    last_attempt_at: datetime | None = None
    next_attempt_at: datetime | None = None
    created_at: datetime


class DeliveriesPage(ResponseModel):
    items: list[DeliveryResponse]
    next_cursor: str | None


# ---------------------------------------------------------------------------- queue and store


class DeliveryMessage(BaseModel):
    """One attempt to make, on the delivery queue. ``not_before`` carries a wait longer than SQS's
    15-minute delay: a message received early goes back on the queue for the rest of it."""

    model_config = ConfigDict(extra="ignore", defer_build=True)

    tenant_id: TenantId
    webhook_id: NaturalId
    delivery_id: NaturalId
    not_before: datetime | None = None
    manual: bool = False  # a redelivery asked for through the API: sent even if it succeeded before


class SigningSecret(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)

    secret: str
    created_at: datetime
    expires_at: datetime | None = None


class WebhookRecord(BaseModel):
    model_config = ConfigDict(defer_build=True)

    tenant_id: str
    webhook_id: str
    url: str
    events: list[str]
    description: str | None = None
    secrets: list[SigningSecret]  # newest first
    created_at: datetime
    updated_at: datetime


class DeliveryRecord(BaseModel):
    model_config = ConfigDict(defer_build=True)

    tenant_id: str
    webhook_id: str
    delivery_id: str
    event_id: str
    event_type: str
    body: str  # the JSON sent, kept so a redelivery sends the same bytes (re-signed)
    status: DeliveryStatus = "pending"
    attempts: int = 0
    last_status_code: int | None = None
    last_error: str | None = None
    last_attempt_at: datetime | None = None
    next_attempt_at: datetime | None = None
    created_at: datetime
