"""The webhook delivery queue: one message per attempt to make, delayed up to SQS's 15 minutes."""

from __future__ import annotations

from loyalty.errors import TransientError
from loyalty.models.webhooks import DeliveryMessage
from loyalty.store.messaging import _Queue

MAX_DELAY_SECONDS = 900  # SQS's limit per message


class DeliveryQueue(_Queue):
    def send(self, messages: list[DeliveryMessage], delay_seconds: int = 0) -> None:
        """Send every message (10 per call); raise if any was refused, so the caller's record is
        retried rather than a delivery forgotten."""
        url = self._url()
        delay = max(0, min(MAX_DELAY_SECONDS, delay_seconds))
        for start in range(0, len(messages), 10):
            chunk = messages[start : start + 10]
            response = self.client.send_message_batch(
                QueueUrl=url,
                Entries=[
                    {
                        "Id": str(index),
                        "MessageBody": message.model_dump_json(exclude_none=True),
                        "DelaySeconds": delay,
                    }
                    for index, message in enumerate(chunk)
                ],
            )
            if response.get("Failed"):
                raise TransientError(f"the delivery queue refused {len(response['Failed'])} messages")
