"""The import workers: each message is one chunk of one import (or of its revert), applied from its
checkpoint until done or nearly out of time, then put back on the queue.

A message that can never succeed is dead-lettered with its reason; a refusal of a row is the row's
(reported by line) and never the chunk's; anything else raises so SQS redelivers the chunk, which
resumes at its checkpoint (the rows already applied replay through the funnel). On the last
delivery the job is marked failed before the message goes to the dead-letter queue."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from functools import lru_cache

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from pydantic import ValidationError

from loyalty.consumers.poison import dead_letter, invalid_body
from loyalty.errors import LoyaltyError
from loyalty.models.imports import ImportMessage
from loyalty.observability import count, logger
from loyalty.operations import imports
from loyalty.operations.context import Context, default_context
from loyalty.settings import get_settings
from loyalty.store.import_files import ImportFiles
from loyalty.store.import_store import ImportStore
from loyalty.store.messaging import DeadLetterQueue, WorkQueue

MAX_RECEIVES = 5  # the import queue's maxReceiveCount (template.yaml): the last delivery fails the job


@lru_cache(maxsize=1)
def default_imports() -> imports.Imports:
    ledger = default_context().ledger
    return imports.Imports(
        store=ImportStore(ledger.table_name, ledger.client),
        queue=WorkQueue(get_settings().import_queue_url),
        files=ImportFiles(get_settings().export_bucket),
    )


@lru_cache(maxsize=1)
def default_import_dead_letters() -> DeadLetterQueue:
    return DeadLetterQueue(get_settings().import_dlq_url)


def work(
    record: SQSRecord,
    should_stop: Callable[[], bool] = lambda: False,
    *,
    context: Context | None = None,
    services: imports.Imports | None = None,
    dead_letters: DeadLetterQueue | None = None,
) -> None:
    try:
        message = ImportMessage.model_validate_json(record.body)
    except ValidationError as error:
        return dead_letter(
            dead_letters or default_import_dead_letters(),
            record,
            *invalid_body(error, record.body),
            what="import",
        )
    context, services = context or default_context(), services or default_imports()
    try:
        report = imports.run_chunk(context, services, message, should_stop=should_stop)
    except LoyaltyError as refused:  # the tenant is gone: no row can apply
        imports.fail(context, services, message, f"{refused.title}: {refused.detail}")
        logger.warning("import failed", extra={"import_id": message.import_id, "reason": refused.detail})
        return None
    except Exception as error:
        if int(record.attributes.approximate_receive_count or 1) >= MAX_RECEIVES:
            imports.fail(context, services, message, f"gave up after {MAX_RECEIVES} attempts: {error}")
        raise
    if report.stopped:  # out of time, not out of work: the rest of the chunk goes round again
        services.queue.send([message.model_dump_json()])
    count("ImportRows", report.rows)
    count("ImportRowsRefused", report.failed)
    logger.info(
        "import chunk", extra={"import_id": message.import_id, "chunk": message.chunk, **asdict(report)}
    )
    return None
