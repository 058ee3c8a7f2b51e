"""Environment, read once through a pydantic model; nothing else reads os.environ."""

from __future__ import annotations

import os
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True)

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
    )
