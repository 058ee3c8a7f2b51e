"""Offline SAM translation of ``template.yaml`` and its creation as a stack in moto's CloudFormation.

This module owns two things:

* :func:`translate` expands the SAM transform with ``samtranslator`` without AWS credentials or
  network: local ``CodeUri``/``ContentUri`` paths become ``s3://bucket/<path>`` and the managed
  policy loader is a stub (the template only uses SAM policy templates).
* :func:`create_stack_in_moto` creates the translated template as a CloudFormation stack in moto
  (inside an active ``moto.mock_aws``) and returns the physical names of the table, queues and bus,
  so integration tests run their flows against exactly the resources the template declares.
"""

from __future__ import annotations

import copy
import io
import json
import os
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from samtranslator.parser.parser import Parser
from samtranslator.translator.translator import Translator

from infra.template_model import DEFAULT_TEMPLATE_PATH, load_yaml

DEFAULT_REGION = "us-east-1"
ARTIFACT_BUCKET = "bucket"
DEFAULT_STACK_NAME = "loyalty-local"

# SAM resource types whose local code path the translator needs as an S3 location.
_CODE_PROPERTIES = {
    "AWS::Serverless::Function": "CodeUri",
    "AWS::Serverless::LayerVersion": "ContentUri",
}


class _PolicyLoaderStub:
    """Stands in for samtranslator's ManagedPolicyLoader, which would list IAM managed policies.

    The template names no managed policy by short name (only SAM policy templates and the ARNs SAM
    adds itself), so an empty map is complete and keeps the translation offline.
    """

    def load(self) -> dict[str, str]:
        return {}


def resolve_region(region: str | None = None) -> str:
    """The given region, else ``AWS_DEFAULT_REGION``, else ``us-east-1`` (the local stack's rule)."""
    return region or os.environ.get("AWS_DEFAULT_REGION") or DEFAULT_REGION


def _s3_uri(local_path: str) -> str:
    key = local_path.strip("./").rstrip("/") or "root"
    return f"s3://{ARTIFACT_BUCKET}/{key}"


def _with_s3_code_uris(template: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``template`` whose local CodeUri/ContentUri paths are ``s3://bucket/<path>`` URIs."""
    rewritten = copy.deepcopy(template)
    globals_function = rewritten.get("Globals", {}).get("Function", {})
    if isinstance(globals_function.get("CodeUri"), str):
        globals_function["CodeUri"] = _s3_uri(globals_function["CodeUri"])
    for resource in rewritten.get("Resources", {}).values():
        prop = _CODE_PROPERTIES.get(resource.get("Type", ""))
        properties = resource.get("Properties", {})
        value = properties.get(prop) if prop else None
        if prop and isinstance(value, str) and not value.startswith("s3://"):
            properties[prop] = _s3_uri(value)
    return rewritten


def translate(template_path: Path | None = None, region: str | None = None) -> dict[str, Any]:
    """Expand the SAM transform of ``template_path`` (the repository's template by default) offline.

    Returns the plain CloudFormation template (a dict) that CloudFormation itself would produce,
    modulo the S3 code locations, which point at ``s3://bucket/<local path>``.
    """
    sam_template = _with_s3_code_uris(load_yaml(template_path or DEFAULT_TEMPLATE_PATH))
    session = boto3.session.Session(region_name=resolve_region(region))
    translator = Translator(managed_policy_map=None, sam_parser=Parser(), boto_session=session)
    policy_loader = _PolicyLoaderStub()
    translated: dict[str, Any] = translator.translate(
        sam_template, parameter_values={}, get_managed_policy_map=policy_loader.load
    )
    return translated


# ---------------------------------------------------------------------------------------------- moto


@dataclass(frozen=True)
class StackResources:
    """Physical names of the resources of the stack created from the template."""

    stack_name: str
    table_name: str
    purchase_queue_url: str
    dlq_url: str
    event_bus_name: str
    event_publisher_dlq_url: str
    expiry_queue_url: str
    expiry_dlq_url: str


def _code_locations(template: dict[str, Any]) -> set[tuple[str, str]]:
    """(bucket, key) of every Lambda function's and layer's code in a translated template."""
    locations: set[tuple[str, str]] = set()
    for resource in template.get("Resources", {}).values():
        properties = resource.get("Properties", {})
        if resource.get("Type") == "AWS::Lambda::Function":
            code = properties.get("Code", {})
            locations.add((code.get("S3Bucket"), code.get("S3Key")))
        elif resource.get("Type") == "AWS::Lambda::LayerVersion":
            content = properties.get("Content", {})
            locations.add((content.get("S3Bucket"), content.get("S3Key")))
    return {(bucket, key) for bucket, key in locations if isinstance(bucket, str) and isinstance(key, str)}


def _stub_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "def lambda_handler(event, context):\n    return None\n")
    return buffer.getvalue()


def _rewrite_event_bus_refs(node: object, bus_ids: set[str]) -> object:
    if isinstance(node, dict):
        if set(node) == {"Ref"} and node["Ref"] in bus_ids:
            return {"Fn::GetAtt": [node["Ref"], "Name"]}
        return {key: _rewrite_event_bus_refs(value, bus_ids) for key, value in node.items()}
    if isinstance(node, list):
        return [_rewrite_event_bus_refs(item, bus_ids) for item in node]
    return node


def _rewrite_alias_refs(node: object, aliases: dict[str, object]) -> object:
    if isinstance(node, dict):
        if set(node) == {"Ref"} and node["Ref"] in aliases:
            return aliases[node["Ref"]]
        return {key: _rewrite_alias_refs(value, aliases) for key, value in node.items()}
    if isinstance(node, list):
        return [_rewrite_alias_refs(item, aliases) for item in node]
    return node


MOTO_UNSUPPORTED = frozenset(
    {
        "AWS::KinesisFirehose::DeliveryStream",
        "AWS::Glue::Database",
        "AWS::Glue::Table",
        "AWS::Athena::NamedQuery",
    }
)


def _references(value: Any) -> set[str]:
    """Logical ids a resource refers to (Ref, Fn::GetAtt, DependsOn, ${Name} in Fn::Sub)."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "Ref" and isinstance(inner, str):
                found.add(inner)
            elif key == "Fn::GetAtt":
                target = inner[0] if isinstance(inner, list) else str(inner).split(".")[0]
                found.add(str(target))
            elif key == "Fn::Sub":
                text = inner[0] if isinstance(inner, list) else inner
                found |= {name.split(".")[0] for name in re.findall(r"\$\{([^}!]+)\}", str(text))}
                found |= _references(inner[1] if isinstance(inner, list) and len(inner) > 1 else None)
            elif key == "DependsOn":
                found |= set(inner if isinstance(inner, list) else [inner])
            else:
                found |= _references(inner)
    elif isinstance(value, list):
        for inner in value:
            found |= _references(inner)
    return found


def for_moto(template: dict[str, Any]) -> dict[str, Any]:
    """Adapt a translated template to what moto 5.2.1's CloudFormation can create.

    * ``Ref`` of an ``AWS::Events::EventBus`` resolves to the Python object in moto (not the name
      CloudFormation returns), which then breaks Lambda's ListFunctions; ``Fn::GetAtt [Bus, Name]``
      is the same value on AWS and works in moto, so every such ``Ref`` is rewritten to it.
    * ``AWS::ApiGatewayV2::*`` (the HTTP API, its routes, stage and authorizer) and
      ``AWS::Scheduler::Schedule`` are not supported by moto's CloudFormation: moto skips them with
      a warning and the stack still completes, so they are left in place (dropping them would
      leave the Lambda permissions that reference the API dangling). The local stack serves the
      routes and schedules from :mod:`infra.template_model` instead.
    * ``AWS::Lambda::EventSourceMapping`` resources are dropped: moto would invoke the (stub)
      functions through Docker on every queue message and table write (Docker does not run here,
      and its stream mapping re-sends every record on each write). The local stack's poller
      delivers queue and stream records itself, from the sources in :mod:`infra.template_model`.
    * ``AWS::Lambda::Alias`` (what ``AutoPublishAlias`` makes for a SnapStart function) is skipped
      by moto, so a ``Ref`` to an alias is rewritten to the alias's function.
    * The archive's Firehose delivery stream, Glue database and table and Athena named queries have
      no CloudFormation support in moto (a reference to one fails the stack): they are dropped
      with every resource that refers to them (the bus rule and its role). cfn-lint checks them;
      the local stack builds its own archive path (:mod:`infra.local.archive`).
    """
    aliases = {
        logical_id: resource["Properties"]["FunctionName"]
        for logical_id, resource in template.get("Resources", {}).items()
        if resource.get("Type") == "AWS::Lambda::Alias"
    }
    template = _rewrite_alias_refs(template, aliases)  # type: ignore[assignment]
    resources = {
        logical_id: resource
        for logical_id, resource in template.get("Resources", {}).items()
        if resource.get("Type") != "AWS::Lambda::EventSourceMapping"
        and resource.get("Type") not in MOTO_UNSUPPORTED
    }
    while dangling := [
        logical_id
        for logical_id, resource in resources.items()
        if any(
            name not in resources for name in _references(resource) if name in template.get("Resources", {})
        )
    ]:
        for logical_id in dangling:
            resources.pop(logical_id)
    bus_ids = {
        logical_id
        for logical_id, resource in resources.items()
        if resource.get("Type") == "AWS::Events::EventBus"
    }
    adapted = _rewrite_event_bus_refs({**template, "Resources": resources}, bus_ids)
    if not isinstance(adapted, dict):  # pragma: no cover - a dict always maps to a dict
        raise TypeError("template must be a mapping")
    return adapted


def create_stack_in_moto(
    region: str | None = None,
    stack_name: str = DEFAULT_STACK_NAME,
    template_path: Path | None = None,
) -> StackResources:
    """Create the translated template as a stack in moto and return its physical resource names.

    Must run inside an active ``moto.mock_aws()``. Lambda code is uploaded to moto's S3 as stub
    zips first, because moto's Lambda reads a function's code from S3 when it creates it.
    """
    region_name = resolve_region(region)
    template = for_moto(translate(template_path, region_name))

    s3 = boto3.client("s3", region_name=region_name)
    locations = _code_locations(template)
    for bucket in {bucket for bucket, _ in locations}:
        if region_name == "us-east-1":
            s3.create_bucket(Bucket=bucket)
        else:
            s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region_name})
    stub = _stub_zip()
    for bucket, key in locations:
        s3.put_object(Bucket=bucket, Key=key, Body=stub)

    cloudformation = boto3.client("cloudformation", region_name=region_name)
    cloudformation.create_stack(
        StackName=stack_name,
        TemplateBody=json.dumps(template),
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"],
    )
    status = cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]["StackStatus"]
    if status != "CREATE_COMPLETE":
        raise RuntimeError(f"stack {stack_name} ended in {status}")
    physical: dict[str, str] = {}
    paginator = cloudformation.get_paginator("list_stack_resources")
    for page in paginator.paginate(StackName=stack_name):
        for summary in page["StackResourceSummaries"]:
            physical[summary["LogicalResourceId"]] = summary.get("PhysicalResourceId", "")
    outputs = {
        output["OutputKey"]: output["OutputValue"]
        for output in cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0].get("Outputs", [])
    }
    return StackResources(
        stack_name=stack_name,
        table_name=outputs.get("TableName") or physical["LoyaltyTable"],
        purchase_queue_url=outputs.get("PurchaseQueueUrl") or physical["PurchaseQueue"],
        dlq_url=outputs.get("PurchaseDeadLetterQueueUrl") or physical["PurchaseDeadLetterQueue"],
        event_bus_name=outputs["EventBusName"],
        event_publisher_dlq_url=physical["EventPublisherDeadLetterQueue"],
        expiry_queue_url=physical["ExpiryShardQueue"],
        expiry_dlq_url=physical["ExpiryShardDeadLetterQueue"],
    )
