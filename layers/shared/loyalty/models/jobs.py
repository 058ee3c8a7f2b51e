"""Messages the scheduled runs hand to their workers through a queue."""

from __future__ import annotations

from typing import Annotated

from pydantic import AwareDatetime, Field

from loyalty.models.common import JsonInteger, StrictModel
from loyalty.store.keys import EXPIRY_SHARDS


class ExpiryShardMessage(StrictModel):
    """One shard of one expiry run: expire, in this shard of the expiry index, what is due by `now`
    (the run's scheduled time, so a late or repeated delivery does exactly what the run would)."""

    shard: Annotated[JsonInteger, Field(ge=0, lt=EXPIRY_SHARDS)]
    now: AwareDatetime
