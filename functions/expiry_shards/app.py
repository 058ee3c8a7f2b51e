"""The expiry workers: one message from the expiry shard queue is one shard of one run, walked
until done or until the function is nearly out of time (then the shard goes back on the queue)."""

from __future__ import annotations

from loyalty.consumers.chunk_worker import chunk_worker
from loyalty.consumers.expiry_shards import drain_shard

lambda_handler = chunk_worker(drain_shard)
