"""Environment, read once through a pydantic model; nothing else reads os.environ."""

from __future__ import annotations

import os
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field


class WebhookSettings(BaseModel):
    """Webhook delivery. The defaults are the cloud's; the local stack shortens the backoff and
    allows loopback receivers (never set WEBHOOK_ALLOW_LOOPBACK in a deployment)."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    delivery_queue_url: str = ""
    dead_letter_url: str = ""
    dispatch_dead_letter_url: str = ""
    allow_loopback: bool = False
    timeout_seconds: float = Field(default=10, gt=0, le=30)
    retry_base_seconds: int = Field(default=30, ge=1)
    retry_cap_seconds: int = Field(default=4 * 3600, ge=1)
    max_attempts: int = Field(default=16, ge=1, le=100)
    subscriptions_cache_seconds: int = Field(default=30, ge=0)


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)

    table_name: str = Field(min_length=3)
    event_bus_name: str = "default"
    purchase_dlq_url: str = ""
    expiry_queue_url: str = ""
    expiry_dlq_url: str = ""
    program_cache_seconds: int = Field(default=60, ge=0)
    operator_key_sha256: str = ""
    export_bucket: str = ""
    export_queue_url: str = ""
    export_dlq_url: str = ""
    import_queue_url: str = ""
    import_dlq_url: str = ""
    webhooks: WebhookSettings = Field(default_factory=lambda: WebhookSettings())


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    env = os.environ
    return Settings(
        table_name=env.get("TABLE_NAME", "loyalty"),
        event_bus_name=env.get("EVENT_BUS_NAME", "default"),
        purchase_dlq_url=env.get("PURCHASE_DLQ_URL", ""),
        expiry_queue_url=env.get("EXPIRY_QUEUE_URL", ""),
        expiry_dlq_url=env.get("EXPIRY_DLQ_URL", ""),
        program_cache_seconds=int(env.get("PROGRAM_CACHE_SECONDS", "60")),
        operator_key_sha256=env.get("OPERATOR_KEY_SHA256", ""),
        export_bucket=env.get("EXPORT_BUCKET", ""),
        export_queue_url=env.get("EXPORT_QUEUE_URL", ""),
        export_dlq_url=env.get("EXPORT_DLQ_URL", ""),
        import_queue_url=env.get("IMPORT_QUEUE_URL", ""),
        import_dlq_url=env.get("IMPORT_DLQ_URL", ""),
        webhooks=WebhookSettings(
            delivery_queue_url=env.get("WEBHOOK_DELIVERY_QUEUE_URL", ""),
            dead_letter_url=env.get("WEBHOOK_DLQ_URL", ""),
            dispatch_dead_letter_url=env.get("WEBHOOK_DISPATCH_DLQ_URL", ""),
            allow_loopback=env.get("WEBHOOK_ALLOW_LOOPBACK", "") in ("1", "true"),
            timeout_seconds=float(env.get("WEBHOOK_TIMEOUT_SECONDS", "10")),
            retry_base_seconds=int(env.get("WEBHOOK_RETRY_BASE_SECONDS", "30")),
            retry_cap_seconds=int(env.get("WEBHOOK_RETRY_CAP_SECONDS", str(4 * 3600))),
            max_attempts=int(env.get("WEBHOOK_MAX_ATTEMPTS", "16")),
            subscriptions_cache_seconds=int(env.get("WEBHOOK_CACHE_SECONDS", "30")),
        ),
    )
