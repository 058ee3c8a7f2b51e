"""The SAM template (``template.yaml``) as typed data, so the local stack cannot drift from the cloud.

This module owns reading ``template.yaml`` and turning it into frozen dataclasses: the DynamoDB
tables (as boto3 ``create_table`` arguments), the SQS queues and their redrive policies, the
event bus, and every function with its merged Globals, HTTP routes, queue and stream sources
and schedules. The local stack builds its routes, pollers and scheduler from this model only.

It also owns the YAML loader that understands CloudFormation's short-form tags (``!Ref``,
``!GetAtt``, ``!Sub``...), which it turns into their long JSON form (``{"Ref": ...}``).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped, unused-ignore]

DEFAULT_TEMPLATE_PATH = Path(__file__).resolve().parent.parent / "template.yaml"

# SAM's default Lambda timeout when neither the function nor Globals set one.
_SAM_DEFAULT_TIMEOUT = 3
# SQS's default message retention (4 days) when a queue does not set MessageRetentionPeriod.
_SQS_DEFAULT_RETENTION = 345_600
_SQS_DEFAULT_VISIBILITY_TIMEOUT = 30

# The keys of a CloudFormation GlobalSecondaryIndex that boto3's create_table also accepts.
_GSI_KEYS = ("IndexName", "KeySchema", "Projection", "ProvisionedThroughput", "OnDemandThroughput")
_LSI_KEYS = ("IndexName", "KeySchema", "Projection")


# ------------------------------------------------------------------------------------------ YAML


def _construct_tag(loader: Any, tag_suffix: str, node: Any) -> dict[str, object]:
    """Turn ``!Name value`` into ``{"Fn::Name": value}`` (``Ref``/``Condition`` keep their name)."""
    if isinstance(node, yaml.ScalarNode):
        value: object = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if tag_suffix in ("Ref", "Condition"):
        return {tag_suffix: value}
    if tag_suffix == "GetAtt" and isinstance(value, str):
        logical_id, _, attribute = value.partition(".")
        return {"Fn::GetAtt": [logical_id, attribute]}
    return {f"Fn::{tag_suffix}": value}


_CfnLoader: Any = type("_CfnLoader", (yaml.SafeLoader,), {})
_CfnLoader.add_multi_constructor("!", _construct_tag)


def load_yaml(path: Path) -> dict[str, Any]:
    """Load a CloudFormation/SAM YAML file, short-form intrinsic tags included, as plain dicts."""
    with path.open(encoding="utf-8") as handle:
        document = yaml.load(handle, Loader=_CfnLoader)  # noqa: S506 - a SafeLoader subclass
    if not isinstance(document, dict):
        raise ValueError(f"{path}: not a CloudFormation template (top level is not a mapping)")
    return document


# ------------------------------------------------------------------------------------------ model


@dataclass(frozen=True)
class TableSpec:
    logical_id: str
    # Keyword arguments for boto3 ``create_table`` (without TableName): KeySchema,
    # AttributeDefinitions, BillingMode, GlobalSecondaryIndexes, StreamSpecification...
    create_table_kwargs: dict[str, object]
    # Attribute of the TimeToLiveSpecification, if enabled (clean-up only).
    ttl_attribute: str | None = None


@dataclass(frozen=True)
class QueueSpec:
    logical_id: str
    visibility_timeout: int
    redrive_target: str | None  # logical id of the dead-letter queue
    max_receive_count: int | None
    retention: int  # MessageRetentionPeriod, seconds


DEFAULT_ROUTE = "$default"  # the route of whatever request matches no other


@dataclass(frozen=True)
class RuleSpec:
    """An EventBridge rule on the template's bus with SQS queues as targets (the local stack puts
    the rule on its bus, and moto delivers matching events to the queues as EventBridge does)."""

    logical_id: str
    event_pattern: dict[str, object]
    queue_targets: tuple[str, ...]  # logical ids of the target queues


@dataclass(frozen=True)
class HttpRoute:
    method: str  # upper case, e.g. "POST"
    path: str  # API Gateway path, e.g. "/v1/members/{member_id}"
    auth: bool  # False when the route opts out of the default authorizer


@dataclass(frozen=True)
class SqsSource:
    queue_logical_id: str
    batch_size: int
    report_batch_item_failures: bool
    maximum_batching_window_seconds: int = 0


@dataclass(frozen=True)
class StreamSource:
    table_logical_id: str
    batch_size: int
    report_batch_item_failures: bool = False
    starting_position: str = "TRIM_HORIZON"
    # Lambda event filter patterns (JSON strings), e.g. '{"eventName": ["INSERT"]}'.
    filter_patterns: tuple[str, ...] = ()
    # A tumbling window makes Lambda name the shard (and the window) in each event.
    tumbling_window_seconds: int = 0


@dataclass(frozen=True)
class ScheduleSource:
    name: str  # the event's logical name in the template
    expression: str  # "rate(...)", "cron(...)" or "at(...)"
    timezone: str | None
    # EventBridge Scheduler (ScheduleV2) invokes with its Input alone, context placeholders such
    # as <aws.scheduler.scheduled-time> filled in; None for a rule (Schedule), which sends
    # EventBridge's "Scheduled Event" envelope.
    scheduler_input: str | None = None


@dataclass(frozen=True)
class FunctionSpec:
    logical_id: str
    code_dir: str  # e.g. "functions/earn" (relative to the repository root)
    handler: str  # e.g. "app.lambda_handler"
    timeout: int  # seconds, Globals merged
    # Globals merged with the function's own; raw values (may be intrinsic dicts like {"Ref": ...}).
    environment: dict[str, object]
    http_routes: list[HttpRoute] = field(default_factory=list)
    sqs_sources: list[SqsSource] = field(default_factory=list)
    stream_sources: list[StreamSource] = field(default_factory=list)
    schedules: list[ScheduleSource] = field(default_factory=list)


@dataclass(frozen=True)
class TemplateModel:
    path: Path
    tables: list[TableSpec]
    queues: list[QueueSpec]
    event_bus: str  # logical id of the AWS::Events::EventBus
    functions: list[FunctionSpec]
    # Logical id of the function behind the HttpApi's DefaultAuthorizer, and its cache TTL (seconds).
    authorizer_function: str | None
    authorizer_cache_seconds: int | None
    parameters: dict[str, object] = field(default_factory=dict)  # parameter defaults
    rules: list[RuleSpec] = field(default_factory=list)  # bus rules with queue targets

    def function(self, logical_id: str) -> FunctionSpec:
        for spec in self.functions:
            if spec.logical_id == logical_id:
                return spec
        raise KeyError(logical_id)

    def queue(self, logical_id: str) -> QueueSpec:
        for spec in self.queues:
            if spec.logical_id == logical_id:
                return spec
        raise KeyError(logical_id)

    def table(self, logical_id: str) -> TableSpec:
        for spec in self.tables:
            if spec.logical_id == logical_id:
                return spec
        raise KeyError(logical_id)


# ---------------------------------------------------------------------------------------- parsing


def _mapping(value: object) -> dict[str, Any]:
    return dict(value) if isinstance(value, Mapping) else {}


def _referenced_logical_id(value: object) -> str | None:
    """The logical id behind ``!Ref X``, ``!GetAtt X.Attr`` or ``{"Fn::GetAtt": [X, Attr]}``."""
    if isinstance(value, Mapping):
        if "Ref" in value and isinstance(value["Ref"], str):
            return value["Ref"]
        get_att = value.get("Fn::GetAtt")
        if isinstance(get_att, list) and get_att and isinstance(get_att[0], str):
            return get_att[0]
        if isinstance(get_att, str):
            return get_att.partition(".")[0]
    return None


def _int(value: object, default: int) -> int:
    if isinstance(value, bool):
        return default
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return default


def _table_spec(logical_id: str, props: dict[str, Any]) -> TableSpec:
    kwargs: dict[str, object] = {
        "KeySchema": copy.deepcopy(props["KeySchema"]),
        "AttributeDefinitions": copy.deepcopy(props["AttributeDefinitions"]),
        "BillingMode": props.get("BillingMode", "PROVISIONED"),
    }
    if "ProvisionedThroughput" in props:
        kwargs["ProvisionedThroughput"] = copy.deepcopy(props["ProvisionedThroughput"])
    for index_kind, allowed in (("GlobalSecondaryIndexes", _GSI_KEYS), ("LocalSecondaryIndexes", _LSI_KEYS)):
        indexes = [
            {k: copy.deepcopy(v) for k, v in index.items() if k in allowed}
            for index in props.get(index_kind, [])
        ]
        if indexes:
            kwargs[index_kind] = indexes
    stream = _mapping(props.get("StreamSpecification"))
    if stream.get("StreamViewType"):
        # CloudFormation enables the stream by naming a view type; boto3 needs both keys.
        kwargs["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": stream["StreamViewType"]}
    ttl = _mapping(props.get("TimeToLiveSpecification"))
    ttl_attribute = ttl.get("AttributeName") if ttl.get("Enabled") in (True, "true", "True") else None
    return TableSpec(logical_id, kwargs, ttl_attribute if isinstance(ttl_attribute, str) else None)


def _queue_spec(logical_id: str, props: dict[str, Any]) -> QueueSpec:
    redrive = _mapping(props.get("RedrivePolicy"))
    target = _referenced_logical_id(redrive.get("deadLetterTargetArn")) if redrive else None
    max_receive = _int(redrive.get("maxReceiveCount"), 0) if redrive else 0
    return QueueSpec(
        logical_id=logical_id,
        visibility_timeout=_int(props.get("VisibilityTimeout"), _SQS_DEFAULT_VISIBILITY_TIMEOUT),
        redrive_target=target,
        max_receive_count=max_receive or None,
        retention=_int(props.get("MessageRetentionPeriod"), _SQS_DEFAULT_RETENTION),
    )


def _http_route(event_props: dict[str, Any], api_has_default_authorizer: bool) -> HttpRoute:
    authorizer = _mapping(event_props.get("Auth")).get("Authorizer")
    auth = api_has_default_authorizer if authorizer is None else authorizer != "NONE"
    if "Path" not in event_props and "Method" not in event_props:  # SAM's $default route
        return HttpRoute(method="ANY", path=DEFAULT_ROUTE, auth=auth)
    return HttpRoute(method=str(event_props["Method"]).upper(), path=str(event_props["Path"]), auth=auth)


def _sqs_source(event_props: dict[str, Any], queue_id: str) -> SqsSource:
    return SqsSource(
        queue_logical_id=queue_id,
        batch_size=_int(event_props.get("BatchSize"), 10),
        report_batch_item_failures="ReportBatchItemFailures" in event_props.get("FunctionResponseTypes", []),
        maximum_batching_window_seconds=_int(event_props.get("MaximumBatchingWindowInSeconds"), 0),
    )


def _stream_source(event_props: dict[str, Any], table_id: str) -> StreamSource:
    filters = _mapping(event_props.get("FilterCriteria")).get("Filters", [])
    patterns = tuple(
        str(item["Pattern"]) for item in filters if isinstance(item, Mapping) and "Pattern" in item
    )
    return StreamSource(
        table_logical_id=table_id,
        batch_size=_int(event_props.get("BatchSize"), 100),
        report_batch_item_failures="ReportBatchItemFailures" in event_props.get("FunctionResponseTypes", []),
        starting_position=str(event_props.get("StartingPosition", "TRIM_HORIZON")),
        filter_patterns=patterns,
        tumbling_window_seconds=_int(event_props.get("TumblingWindowInSeconds"), 0),
    )


def _function_spec(
    logical_id: str, props: dict[str, Any], globals_function: dict[str, Any], api_has_default_authorizer: bool
) -> FunctionSpec:
    environment: dict[str, object] = {}
    environment.update(_mapping(_mapping(globals_function.get("Environment")).get("Variables")))
    environment.update(_mapping(_mapping(props.get("Environment")).get("Variables")))
    code_uri = props.get("CodeUri", globals_function.get("CodeUri", "."))
    spec = FunctionSpec(
        logical_id=logical_id,
        code_dir=str(code_uri).rstrip("/") if isinstance(code_uri, str) else "",
        handler=str(props.get("Handler", globals_function.get("Handler", ""))),
        timeout=_int(props.get("Timeout", globals_function.get("Timeout")), _SAM_DEFAULT_TIMEOUT),
        environment=environment,
    )
    for event_name, event in _mapping(props.get("Events")).items():
        event_type = _mapping(event).get("Type")
        event_props = _mapping(_mapping(event).get("Properties"))
        if event_type == "HttpApi":
            spec.http_routes.append(_http_route(event_props, api_has_default_authorizer))
        elif event_type == "SQS":
            queue_id = _referenced_logical_id(event_props.get("Queue"))
            if queue_id is not None:
                spec.sqs_sources.append(_sqs_source(event_props, queue_id))
        elif event_type == "DynamoDB":
            table_id = _referenced_logical_id(event_props.get("Stream"))
            if table_id is not None:
                spec.stream_sources.append(_stream_source(event_props, table_id))
        elif event_type == "Schedule":
            spec.schedules.append(ScheduleSource(event_name, str(event_props["Schedule"]), None))
        elif event_type == "ScheduleV2":
            timezone = event_props.get("ScheduleExpressionTimezone")
            spec.schedules.append(
                ScheduleSource(
                    event_name,
                    str(event_props["ScheduleExpression"]),
                    timezone if isinstance(timezone, str) else None,
                    str(event_props.get("Input", "{}")),
                )
            )
    return spec


def _default_authorizer(resources: dict[str, Any]) -> tuple[str | None, int | None, bool]:
    """(authorizer function logical id, cache seconds, whether an HttpApi has a DefaultAuthorizer)."""
    for resource in resources.values():
        if _mapping(resource).get("Type") != "AWS::Serverless::HttpApi":
            continue
        auth = _mapping(_mapping(resource.get("Properties")).get("Auth"))
        default_name = auth.get("DefaultAuthorizer")
        if not isinstance(default_name, str):
            continue
        authorizer = _mapping(_mapping(auth.get("Authorizers")).get(default_name))
        function_id = _referenced_logical_id(authorizer.get("FunctionArn"))
        identity = _mapping(authorizer.get("Identity"))
        cache = identity.get("ReauthorizeEvery")
        return function_id, (_int(cache, 0) if cache is not None else None), True
    return None, None, False


def load_template(path: Path | None = None) -> TemplateModel:
    """Read ``template.yaml`` (the repository's by default) into a :class:`TemplateModel`."""
    template_path = path or DEFAULT_TEMPLATE_PATH
    document = load_yaml(template_path)
    resources = _mapping(document.get("Resources"))
    globals_function = _mapping(_mapping(document.get("Globals")).get("Function"))
    authorizer_function, authorizer_cache, has_default_authorizer = _default_authorizer(resources)

    tables: list[TableSpec] = []
    queues: list[QueueSpec] = []
    functions: list[FunctionSpec] = []
    rules: list[RuleSpec] = []
    event_bus: str | None = None
    for logical_id, resource in resources.items():
        resource_type = _mapping(resource).get("Type")
        props = _mapping(_mapping(resource).get("Properties"))
        if resource_type == "AWS::DynamoDB::Table":
            tables.append(_table_spec(logical_id, props))
        elif resource_type == "AWS::SQS::Queue":
            queues.append(_queue_spec(logical_id, props))
        elif resource_type == "AWS::Events::EventBus" and event_bus is None:
            event_bus = logical_id
        elif resource_type == "AWS::Serverless::Function":
            functions.append(_function_spec(logical_id, props, globals_function, has_default_authorizer))
        elif resource_type == "AWS::Events::Rule" and isinstance(props.get("EventPattern"), Mapping):
            targets = [_referenced_logical_id(_mapping(t).get("Arn")) for t in props.get("Targets", [])]
            queue_ids = tuple(t for t in targets if t is not None and _is_queue(resources, t))
            rules.append(RuleSpec(logical_id, dict(props["EventPattern"]), queue_ids))

    if event_bus is None:
        raise ValueError(f"{template_path}: no AWS::Events::EventBus resource")
    parameters = {
        name: _mapping(definition).get("Default")
        for name, definition in _mapping(document.get("Parameters")).items()
        if "Default" in _mapping(definition)
    }
    return TemplateModel(
        path=template_path,
        tables=tables,
        queues=queues,
        event_bus=event_bus,
        functions=functions,
        authorizer_function=authorizer_function,
        authorizer_cache_seconds=authorizer_cache,
        parameters=parameters,
        rules=rules,
    )


def _is_queue(resources: dict[str, Any], logical_id: str) -> bool:
    return _mapping(resources.get(logical_id)).get("Type") == "AWS::SQS::Queue"
