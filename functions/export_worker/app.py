"""The export workers: one message from the export queue is one chunk of one export (walked until
done or nearly out of time, then put back on the queue) or the export's finishing step."""

from __future__ import annotations

from loyalty.consumers.chunk_worker import chunk_worker
from loyalty.consumers.exports import work

lambda_handler = chunk_worker(work)
