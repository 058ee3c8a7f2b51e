"""The import workers: one message from the import queue is one chunk of one import or its revert
(applied until done or nearly out of time, then put back on the queue)."""

from __future__ import annotations

from loyalty.consumers.chunk_worker import chunk_worker
from loyalty.consumers.imports import work

lambda_handler = chunk_worker(work)
