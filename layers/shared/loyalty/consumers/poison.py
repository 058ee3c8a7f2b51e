"""Messages that can never succeed: the reason they are dead-lettered with, and the sending, shared
by every queue consumer so a DLQ reads the same whichever queue a message came from."""

from __future__ import annotations

import json

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from pydantic import ValidationError

from loyalty.observability import count, logger
from loyalty.store.messaging import DeadLetterQueue


def invalid_body(error: ValidationError, body: str) -> tuple[str, str]:
    """(reason, detail) for a body its model refused: not JSON at all, or JSON of the wrong shape."""
    reason = "malformed-json" if _not_json(body) else "validation-error"
    return reason, json.dumps([{"loc": list(item["loc"]), "msg": item["msg"]} for item in error.errors()])


def dead_letter(
    dead_letters: DeadLetterQueue, record: SQSRecord, reason: str, detail: str, *, what: str
) -> None:
    logger.warning(
        f"{what} dead-lettered", extra={"reason": reason, "detail": detail, "message_id": record.message_id}
    )
    dead_letters.send(record.body, reason, detail, record.message_id)
    count(f"{what.title().replace(' ', '')}sDeadLettered")


def _not_json(body: str) -> bool:
    try:
        json.loads(body)
    except ValueError:
        return True
    return False
