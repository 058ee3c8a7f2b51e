"""Lambda events in the exact shapes AWS delivers them: API Gateway HTTP API (payload 2.0) and its
REQUEST authorizer, SQS, DynamoDB Streams and EventBridge scheduled events.

Used by the local stack (real HTTP requests become these events) and by the tests; the sample
events AWS publishes, kept in tests/events/, are the reference these builders are checked against.
"""

from __future__ import annotations

import base64
import hashlib
import re
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

ACCOUNT = "123456789012"


def _clf_time(now: datetime) -> str:
    return now.strftime("%d/%b/%Y:%H:%M:%S +0000")


def _request_context(method: str, path: str, route_key: str, source_ip: str, now: datetime) -> dict[str, Any]:
    return {
        "accountId": ACCOUNT,
        "apiId": "local",
        "domainName": "localhost",
        "domainPrefix": "localhost",
        "http": {
            "method": method,
            "path": path,
            "protocol": "HTTP/1.1",
            "sourceIp": source_ip,
            "userAgent": "",
        },
        "requestId": str(uuid.uuid4()),
        "routeKey": route_key,
        "stage": "$default",
        "time": _clf_time(now),
        "timeEpoch": int(now.timestamp() * 1000),
    }


def http_api_event(
    method: str,
    path: str,
    *,
    route_key: str,
    path_parameters: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    query: str = "",
    body: bytes | str | None = None,
    authorizer_context: dict[str, Any] | None = None,
    source_ip: str = "127.0.0.1",
) -> dict[str, Any]:
    """An API Gateway HTTP API payload-format-2.0 event (headers lower-cased, as API Gateway sends)."""
    now = datetime.now(UTC)
    lowered = {name.lower(): value for name, value in (headers or {}).items()}
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": path,
        "rawQueryString": query,
        "headers": lowered,
        "requestContext": _request_context(method, path, route_key, source_ip, now),
        "isBase64Encoded": False,
    }
    if "cookie" in lowered:
        event["cookies"] = [part.strip() for part in lowered.pop("cookie").split(";")]
    if query:
        params: dict[str, list[str]] = {}
        for name, value in parse_qsl(query, keep_blank_values=True):
            params.setdefault(name, []).append(value)
        event["queryStringParameters"] = {name: ",".join(values) for name, values in params.items()}
    if path_parameters:
        event["pathParameters"] = path_parameters
    if authorizer_context is not None:
        event["requestContext"]["authorizer"] = {"lambda": authorizer_context}
    if body:
        raw = body.encode() if isinstance(body, str) else body
        try:
            event["body"] = raw.decode()
        except UnicodeDecodeError:
            event["body"] = base64.b64encode(raw).decode()
            event["isBase64Encoded"] = True
    return event


def authorizer_event(
    method: str,
    path: str,
    *,
    route_key: str,
    headers: dict[str, str],
    query: str = "",
    path_parameters: dict[str, str] | None = None,
    identity_header: str = "authorization",
) -> dict[str, Any]:
    """The REQUEST authorizer event (payload 2.0) API Gateway sends before the route's function."""
    now = datetime.now(UTC)
    lowered = {name.lower(): value for name, value in headers.items()}
    event: dict[str, Any] = {
        "version": "2.0",
        "type": "REQUEST",
        "routeArn": f"arn:aws:execute-api:us-east-1:{ACCOUNT}:local/$default/{method}{path}",
        "identitySource": [lowered[identity_header]] if identity_header in lowered else [],
        "routeKey": route_key,
        "rawPath": path,
        "rawQueryString": query,
        "headers": lowered,
        "requestContext": _request_context(method, path, route_key, "127.0.0.1", now),
    }
    if path_parameters:
        event["pathParameters"] = path_parameters
    return event


@dataclass(frozen=True)
class QueueMessage:
    message_id: str
    receipt_handle: str
    body: str
    receive_count: int = 1
    sent_at_ms: int = 0
    attributes: dict[str, Any] | None = None


def sqs_event(messages: list[QueueMessage], queue_arn: str) -> dict[str, Any]:
    region = queue_arn.split(":")[3]
    return {
        "Records": [
            {
                "messageId": message.message_id,
                "receiptHandle": message.receipt_handle,
                "body": message.body,
                "attributes": {
                    "ApproximateReceiveCount": str(message.receive_count),
                    "SentTimestamp": str(message.sent_at_ms or int(time.time() * 1000)),
                    "SenderId": ACCOUNT,
                    "ApproximateFirstReceiveTimestamp": str(int(time.time() * 1000)),
                },
                "messageAttributes": message.attributes or {},
                "md5OfBody": hashlib.md5(message.body.encode()).hexdigest(),  # noqa: S324 - SQS's own checksum
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": region,
            }
            for message in messages
        ]
    }


def lambda_stream_record(record: Any) -> Any:
    """A GetRecords record as JSON, as Lambda delivers it: epoch seconds, binary as base64."""
    if isinstance(record, dict):
        return {key: lambda_stream_record(value) for key, value in record.items()}
    if isinstance(record, list):
        return [lambda_stream_record(value) for value in record]
    if isinstance(record, datetime):
        return float(int(record.timestamp()))
    if isinstance(record, bytes | bytearray):
        return base64.b64encode(record).decode()
    return record


def dynamodb_stream_event(records: list[dict[str, Any]], stream_arn: str) -> dict[str, Any]:
    """Records as GetRecords returns them, plus the eventSourceARN Lambda adds."""
    return {"Records": [{**record, "eventSourceARN": stream_arn} for record in records]}


def scheduled_event(time_iso: str, rule_arn: str, region: str = "us-east-1") -> dict[str, Any]:
    """An EventBridge "Scheduled Event": the job takes "now" from its `time`."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT,
        "time": time_iso,
        "region": region,
        "resources": [rule_arn],
        "detail": {},
    }


_PARAM = re.compile(r"\{([A-Za-z0-9_]+)\+?\}")


def match_route(template_path: str, path: str) -> dict[str, str] | None:
    """Path parameters when `path` matches a route like /v1/members/{member_id}, else None."""
    pattern = (
        "^"
        + _PARAM.sub(
            # {name+} is greedy (API Gateway's proxy variable): the rest of the path, slashes included
            lambda found: (
                f"(?P<{found.group(1)}>.*)"
                if found.group(0).endswith("+}")
                else f"(?P<{found.group(1)}>[^/]+)"
            ),
            re.escape(template_path).replace(r"\{", "{").replace(r"\}", "}").replace(r"\+}", "+}"),
        )
        + "$"
    )
    found = re.match(pattern, path)
    return dict(found.groupdict()) if found else None
