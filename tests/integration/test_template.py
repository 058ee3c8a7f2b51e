"""template.yaml: lint-clean, translatable offline, creatable in moto, and readable by the local stack."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from infra.sam_translate import StackResources, create_stack_in_moto, translate
from infra.template_model import DEFAULT_TEMPLATE_PATH, TemplateModel, load_template, load_yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
CFN_LINT = Path(sys.executable).parent / "cfn-lint"

# moto's CloudFormation skips the HTTP API (and, later, EventBridge Scheduler) resources with a
# warning; the routes and schedules are checked on the translation and the model instead.
pytestmark = [
    pytest.mark.filterwarnings("ignore:Tried to parse AWS.*ApiGatewayV2:UserWarning"),
    pytest.mark.filterwarnings("ignore:Tried to parse AWS.*Scheduler:UserWarning"),
]

EXPECTED_ROUTES = {
    ("ReportsFunction", "GET", "/v1/reports/summary", True),
    ("ReportsFunction", "GET", "/v1/reports/flows", True),
    ("ReportsFunction", "GET", "/v1/reports/tiers", True),
    ("ReportsFunction", "GET", "/v1/reports/campaigns", True),
    ("ReportsFunction", "GET", "/v1/reports/customers", True),
    ("ReportsFunction", "GET", "/v1/reports/reminders", True),
    ("EarnFunction", "POST", "/v1/purchases", True),
    ("EarnFunction", "POST", "/v1/purchases/{order_id}/refunds", True),
    ("EarnFunction", "POST", "/v1/activities", True),
    ("EarnFunction", "POST", "/v1/program/preview", True),
    ("MembersFunction", "POST", "/v1/members", True),
    ("MembersFunction", "GET", "/v1/members", True),
    ("MembersFunction", "GET", "/v1/members/{member_id}", True),
    ("MembersFunction", "GET", "/v1/members/{member_id}/transactions", True),
    ("MembersFunction", "PATCH", "/v1/members/{member_id}", True),
    ("MembersFunction", "DELETE", "/v1/members/{member_id}", True),
    ("MembersFunction", "GET", "/v1/program", True),
    ("MembersFunction", "POST", "/v1/members/{member_id}/tokens", True),
    ("MembersFunction", "POST", "/v1/members/{member_id}/memberships", True),
    ("MembersFunction", "GET", "/v1/members/{member_id}/memberships", True),
    ("MembersFunction", "POST", "/v1/members/{member_id}/memberships/{membership_id}/cancel", True),
    ("MembersFunction", "GET", "/v1/health", False),
    ("MembersFunction", "GET", "/v1/openapi.json", False),
    ("ExportFunction", "PUT", "/v1/exports/{export_id}", True),
    ("ExportFunction", "GET", "/v1/exports/{export_id}", True),
    ("ExportFunction", "GET", "/v1/exports", True),
    ("ImportFunction", "PUT", "/v1/imports/{import_id}", True),
    ("ImportFunction", "GET", "/v1/imports/{import_id}", True),
    ("ImportFunction", "GET", "/v1/imports", True),
    ("ImportFunction", "POST", "/v1/imports/{import_id}/revert", True),
    ("ImportFunction", "POST", "/v1/imports/{import_id}/upload", True),
    ("MembersFunction", "ANY", "$default", False),  # whatever matches no route: 404/405 problem+json
    ("AdminFunction", "POST", "/v1/tenants", True),
    ("AdminFunction", "GET", "/v1/tenants", True),
    ("AdminFunction", "GET", "/v1/keys", True),
    ("AdminFunction", "POST", "/v1/keys", True),
    ("AdminFunction", "DELETE", "/v1/keys/{key_id}", True),
    ("AdminFunction", "POST", "/v1/token-keys/rotate", True),
    ("AdminFunction", "POST", "/v1/members/{member_id}/adjustments", True),
    ("AdminFunction", "PUT", "/v1/program", True),
    ("AdminFunction", "GET", "/v1/program/versions/{version}", True),
    ("AdminFunction", "PUT", "/v1/members/{member_id}/tier", True),
    ("AdminFunction", "PUT", "/v1/members/{member_id}/status", True),
    ("AdminFunction", "GET", "/v1/audit", True),
    ("AdminFunction", "GET", "/v1/reviews", True),
    ("AdminFunction", "POST", "/v1/reviews/{review_id}/resolve", True),
    ("RedeemFunction", "PUT", "/v1/rewards/{reward_id}", True),
    ("RedeemFunction", "GET", "/v1/rewards", True),
    ("RedeemFunction", "GET", "/v1/rewards/{reward_id}", True),
    ("RedeemFunction", "POST", "/v1/members/{member_id}/redemptions", True),
    ("RedeemFunction", "GET", "/v1/members/{member_id}/redemptions/{redemption_id}", True),
    ("RedeemFunction", "POST", "/v1/members/{member_id}/redemptions/{redemption_id}/fulfil", True),
    ("RedeemFunction", "POST", "/v1/members/{member_id}/redemptions/{redemption_id}/cancel", True),
    ("RedeemFunction", "POST", "/v1/members/{member_id}/holds", True),
    ("RedeemFunction", "POST", "/v1/members/{member_id}/checkout-preview", True),
    ("RedeemFunction", "GET", "/v1/holds/{hold_id}", True),
    ("RedeemFunction", "POST", "/v1/holds/{hold_id}/capture", True),
    ("RedeemFunction", "POST", "/v1/holds/{hold_id}/release", True),
    ("RedeemFunction", "POST", "/v1/holds/{hold_id}/refunds", True),
    ("RedeemFunction", "PUT", "/v1/coupon-templates/{template_id}", True),
    ("RedeemFunction", "GET", "/v1/coupon-templates", True),
    ("RedeemFunction", "POST", "/v1/members/{member_id}/coupons", True),
    ("RedeemFunction", "GET", "/v1/members/{member_id}/coupons", True),
    ("RedeemFunction", "POST", "/v1/coupons/{code}/check", True),
    ("RedeemFunction", "POST", "/v1/coupons/{code}/use", True),
    ("RedeemFunction", "PUT", "/v1/lotteries/{lottery_id}", True),
    ("RedeemFunction", "GET", "/v1/lotteries/{lottery_id}", True),
    ("RedeemFunction", "POST", "/v1/members/{member_id}/draws", True),
    ("RedeemFunction", "GET", "/v1/members/{member_id}/draws/{draw_id}", True),
    ("WebhooksFunction", "PUT", "/v1/webhooks/{webhook_id}", True),
    ("WebhooksFunction", "GET", "/v1/webhooks", True),
    ("WebhooksFunction", "GET", "/v1/webhooks/{webhook_id}", True),
    ("WebhooksFunction", "DELETE", "/v1/webhooks/{webhook_id}", True),
    ("WebhooksFunction", "POST", "/v1/webhooks/{webhook_id}/rotate", True),
    ("WebhooksFunction", "POST", "/v1/webhooks/{webhook_id}/ping", True),
    ("WebhooksFunction", "GET", "/v1/webhooks/{webhook_id}/deliveries", True),
    ("WebhooksFunction", "POST", "/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver", True),
    ("WebFunction", "GET", "/portal", False),
    ("WebFunction", "GET", "/portal/{proxy+}", False),
    ("WebFunction", "GET", "/console", False),
    ("WebFunction", "GET", "/console/{proxy+}", False),
    ("WebFunction", "GET", "/assets/{proxy+}", False),
    ("WebFunction", "GET", "/v1/docs", False),
    ("MeFunction", "GET", "/v1/me", True),
    ("MeFunction", "GET", "/v1/me/transactions", True),
    ("MeFunction", "GET", "/v1/me/rewards", True),
    ("MeFunction", "POST", "/v1/me/redemptions", True),
    ("MeFunction", "GET", "/v1/me/redemptions/{redemption_id}", True),
    ("MeFunction", "GET", "/v1/me/coupons", True),
    ("MeFunction", "GET", "/v1/me/draws", True),
    ("MeFunction", "GET", "/v1/me/program", True),
}


def _fake_aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SECURITY_TOKEN", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    if not os.environ.get("AWS_DEFAULT_REGION"):
        monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> str:
    _fake_aws_env(monkeypatch)
    return os.environ["AWS_DEFAULT_REGION"]


@pytest.fixture(scope="module")
def stack() -> Iterator[StackResources]:
    """The template created once, as a stack, in moto's CloudFormation (shared by this module)."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        _fake_aws_env(monkeypatch)
        with mock_aws():
            yield create_stack_in_moto(os.environ["AWS_DEFAULT_REGION"])


@pytest.fixture(scope="module")
def model() -> TemplateModel:
    return load_template()


def _sorted_by_name(definitions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(definitions, key=lambda item: str(item["AttributeName"]))


# ---------------------------------------------------------------------------------------------- lint


def test_cfn_lint_accepts_the_template_silently() -> None:
    # Given the repository's SAM template
    assert DEFAULT_TEMPLATE_PATH.is_file()
    # When cfn-lint checks it with its default rules
    result = subprocess.run(
        [str(CFN_LINT), "template.yaml"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=300
    )
    # Then it reports nothing at all: no error, no warning, no informational message
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_translated_cloudformation_is_cfn_lint_clean(aws_env: str, tmp_path: Path) -> None:
    # Given the template expanded offline by the SAM translator (cfn-lint alone does not check
    # e.g. Globals' runtime or event source properties of SAM resources)
    translated = translate(region=aws_env)
    output = tmp_path / "translated.json"
    output.write_text(json.dumps(translated, indent=1))
    # When cfn-lint checks the resulting plain CloudFormation
    result = subprocess.run([str(CFN_LINT), str(output)], capture_output=True, text=True, timeout=300)
    # Then it is clean too
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


# ------------------------------------------------------------------------------------ translation


def test_translation_wires_the_event_sources_as_the_template_says(aws_env: str) -> None:
    # Given the translated template
    resources = translate(region=aws_env)["Resources"]
    # When reading its event source mappings
    mappings = {
        logical_id: resource["Properties"]
        for logical_id, resource in resources.items()
        if resource["Type"] == "AWS::Lambda::EventSourceMapping"
    }
    # Then the purchase queue feeds EarnFunction with partial batch failures
    queue = mappings["EarnFunctionPurchaseQueueEvent"]
    assert queue["EventSourceArn"] == {"Fn::GetAtt": ["PurchaseQueue", "Arn"]}
    assert queue["FunctionName"] == {"Ref": "EarnFunctionAliaslive"}  # SnapStart runs published versions
    assert (queue["BatchSize"], queue["MaximumBatchingWindowInSeconds"]) == (10, 1)
    assert queue["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    # And the expiry shard queue feeds ExpiryShardsFunction one shard at a time
    shards = mappings["ExpiryShardsFunctionExpiryShardQueueEvent"]
    assert shards["EventSourceArn"] == {"Fn::GetAtt": ["ExpiryShardQueue", "Arn"]}
    assert shards["FunctionName"] == {"Ref": "ExpiryShardsFunction"}
    assert (shards["BatchSize"], shards["FunctionResponseTypes"]) == (1, ["ReportBatchItemFailures"])
    # And the table stream feeds EventPublisherFunction with inserts only, failures to its DLQ
    stream = mappings["EventPublisherFunctionTableStream"]
    assert stream["EventSourceArn"] == {"Fn::GetAtt": ["LoyaltyTable", "StreamArn"]}
    assert stream["FunctionName"] == {"Ref": "EventPublisherFunction"}
    assert (stream["StartingPosition"], stream["BatchSize"], stream["MaximumRetryAttempts"]) == (
        "TRIM_HORIZON",
        100,
        10,
    )
    assert stream["BisectBatchOnFunctionError"] is True
    assert stream["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert stream["FilterCriteria"] == {"Filters": [{"Pattern": '{"eventName": ["INSERT"]}'}]}
    assert stream["DestinationConfig"]["OnFailure"]["Destination"] == {
        "Fn::GetAtt": ["EventPublisherDeadLetterQueue", "Arn"]
    }


def test_translated_http_api_matches_the_model_routes_and_authorizer(
    aws_env: str, model: TemplateModel
) -> None:
    # Given the HTTP API that SAM generates (an OpenAPI body) and the local stack's template model
    body = translate(region=aws_env)["Resources"]["LoyaltyHttpApi"]["Properties"]["Body"]
    # When listing SAM's routes with their function and security
    sam_routes = set()
    for path, operations in body["paths"].items():
        for method, operation in operations.items():
            uri = operation["x-amazon-apigateway-integration"]["uri"]["Fn::Sub"]
            function = uri.split("/functions/${")[1].split("}")[0].removesuffix(".Arn")
            function = function.removesuffix("Aliaslive")  # a SnapStart function's published alias
            [security] = operation["security"]
            if operation.get("isDefaultRoute"):  # SAM spells $default as "/$default", any method
                method, path = "ANY", "$default"
            sam_routes.add((function, method.upper(), path, "NONE" not in security))
    # Then they are exactly the model's routes (the local stack serves what AWS would)
    model_routes = {(f.logical_id, r.method, r.path, r.auth) for f in model.functions for r in f.http_routes}
    assert sam_routes == model_routes == EXPECTED_ROUTES
    # And the default authorizer is AuthorizerFunction, simple responses, cached 60 s per Authorization
    authorizer = body["components"]["securitySchemes"]["ApiKeyAuthorizer"]["x-amazon-apigateway-authorizer"]
    assert authorizer["authorizerUri"]["Fn::Sub"][1]["__FunctionArn__"] == {
        "Fn::GetAtt": [model.authorizer_function, "Arn"]
    }
    assert authorizer["authorizerResultTtlInSeconds"] == model.authorizer_cache_seconds == 60
    assert authorizer["identitySource"] == ["$request.header.Authorization"]
    assert (authorizer["authorizerPayloadFormatVersion"], authorizer["enableSimpleResponses"]) == (
        "2.0",
        True,
    )


def test_translation_points_code_at_s3_and_runs_on_arm64_python312(aws_env: str) -> None:
    # Given the translated template
    resources = translate(region=aws_env)["Resources"]
    # When reading its Lambda functions
    functions = {k: r["Properties"] for k, r in resources.items() if r["Type"] == "AWS::Lambda::Function"}
    # Then every function's code is the S3 rewrite of its local CodeUri, on python3.12 arm64, traced
    assert set(functions) == {
        "AuthorizerFunction",
        "EarnFunction",
        "MembersFunction",
        "AdminFunction",
        "EventPublisherFunction",
        "ExpiryFunction",
        "ExpiryShardsFunction",
        "RemindersFunction",
        "BirthdaysFunction",
        "TierEvaluationFunction",
        "CouponIssuerFunction",
        "RedeemFunction",
        "ExportFunction",
        "ExportWorkerFunction",
        "ImportFunction",
        "ImportWorkerFunction",
        "WebhooksFunction",
        "WebhookDispatchFunction",
        "WebhookDeliveryFunction",
        "MeFunction",
        "WebFunction",
        "ReportsFunction",
        "ReportAggregatorFunction",
        "CustomersSnapshotFunction",
    }
    for logical_id, props in functions.items():
        assert props["Code"]["S3Bucket"] == "bucket", logical_id
        assert props["Code"]["S3Key"].startswith("functions/"), logical_id
        assert (props["Runtime"], props["Architectures"], props["Handler"]) == (
            "python3.12",
            ["arm64"],
            "app.lambda_handler",
        )
        assert props["TracingConfig"] == {"Mode": {"Ref": "TracingMode"}}  # Active by default
        assert props["LoggingConfig"] == {"LogGroup": {"Ref": f"{logical_id}LogGroup"}, "LogFormat": "JSON"}
    assert functions["AuthorizerFunction"]["Timeout"] == 5


# ------------------------------------------------------------------------------------- moto stack


def test_stack_creates_the_table_with_the_template_keys_index_and_stream(
    stack: StackResources, model: TemplateModel
) -> None:
    # Given the stack created from the template in moto
    client = boto3.client("dynamodb", region_name=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"))
    # When describing the table it created
    table = client.describe_table(TableName=stack.table_name)["Table"]
    # Then it has exactly the key schema, attributes, GSI, billing and stream of the template
    assert table["KeySchema"] == [
        {"AttributeName": "PK", "KeyType": "HASH"},
        {"AttributeName": "SK", "KeyType": "RANGE"},
    ]
    assert _sorted_by_name(table["AttributeDefinitions"]) == _sorted_by_name(
        [
            {"AttributeName": name, "AttributeType": "S"}
            for name in (
                "PK",
                "SK",
                "GSI1PK",
                "GSI1SK",
                "GSI2PK",
                "GSI2SK",
                "GSI3PK",
                "GSI3SK",
                "GSI4PK",
                "GSI4SK",
            )
        ]
    )
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    gsis = table["GlobalSecondaryIndexes"]
    assert [(gsi["IndexName"], gsi["KeySchema"], gsi["Projection"]) for gsi in gsis] == [
        (
            "GSI1",
            [{"AttributeName": "GSI1PK", "KeyType": "HASH"}, {"AttributeName": "GSI1SK", "KeyType": "RANGE"}],
            {"ProjectionType": "KEYS_ONLY"},
        ),
        (
            "GSI2",
            [{"AttributeName": "GSI2PK", "KeyType": "HASH"}, {"AttributeName": "GSI2SK", "KeyType": "RANGE"}],
            {"ProjectionType": "KEYS_ONLY"},
        ),
        (
            "GSI3",
            [{"AttributeName": "GSI3PK", "KeyType": "HASH"}, {"AttributeName": "GSI3SK", "KeyType": "RANGE"}],
            {"ProjectionType": "KEYS_ONLY"},
        ),
        (
            "GSI4",
            [{"AttributeName": "GSI4PK", "KeyType": "HASH"}, {"AttributeName": "GSI4SK", "KeyType": "RANGE"}],
            {"ProjectionType": "KEYS_ONLY"},
        ),
    ]
    assert table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert table["DeletionProtectionEnabled"] is True
    # And the template model describes that same table (the local stack creates it from the model)
    kwargs = model.table("LoyaltyTable").create_table_kwargs
    assert kwargs["KeySchema"] == table["KeySchema"]
    assert _sorted_by_name(kwargs["AttributeDefinitions"]) == _sorted_by_name(table["AttributeDefinitions"])  # type: ignore[arg-type]
    assert kwargs["GlobalSecondaryIndexes"] == [
        {"IndexName": g["IndexName"], "KeySchema": g["KeySchema"], "Projection": g["Projection"]}
        for g in gsis
    ]
    assert kwargs["StreamSpecification"] == table["StreamSpecification"]
    assert kwargs["BillingMode"] == "PAY_PER_REQUEST"


def test_model_create_table_kwargs_are_accepted_by_boto3(stack: StackResources, model: TemplateModel) -> None:
    # Given the model's create_table arguments for the loyalty table (inside the stack's moto)
    spec = model.table("LoyaltyTable")
    client = boto3.client("dynamodb", region_name=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"))
    # When creating a table from them, then enabling the template's TTL attribute
    client.create_table(TableName="model-table", **spec.create_table_kwargs)  # type: ignore[arg-type]
    assert spec.ttl_attribute == "ttl_epoch"
    client.update_time_to_live(
        TableName="model-table",
        TimeToLiveSpecification={"Enabled": True, "AttributeName": spec.ttl_attribute},
    )
    # Then the table exists with the GSI and the stream
    table = client.describe_table(TableName="model-table")["Table"]
    assert [gsi["IndexName"] for gsi in table["GlobalSecondaryIndexes"]] == ["GSI1", "GSI2", "GSI3", "GSI4"]
    assert table["StreamSpecification"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    ttl = client.describe_time_to_live(TableName="model-table")["TimeToLiveDescription"]
    assert ttl["AttributeName"] == "ttl_epoch"
    client.delete_table(TableName="model-table")


def test_stack_creates_the_purchase_queue_with_redrive_to_its_dlq(stack: StackResources) -> None:
    # Given the stack created from the template in moto
    region = os.environ.get("AWS_DEFAULT_REGION", "us-east-1")
    sqs = boto3.client("sqs", region_name=region)
    # When reading the queues' attributes
    purchase = sqs.get_queue_attributes(QueueUrl=stack.purchase_queue_url, AttributeNames=["All"])[
        "Attributes"
    ]
    dlq = sqs.get_queue_attributes(QueueUrl=stack.dlq_url, AttributeNames=["All"])["Attributes"]
    # Then the purchase queue redrives to the dead-letter queue after 5 receives
    redrive = json.loads(purchase["RedrivePolicy"])
    assert redrive["deadLetterTargetArn"] == dlq["QueueArn"]
    assert int(redrive["maxReceiveCount"]) == 5
    assert purchase["SqsManagedSseEnabled"] == "true"
    # And the dead-letter queue keeps messages 14 days
    assert int(dlq["MessageRetentionPeriod"]) == 1_209_600
    # And the event publisher's failure queue exists too
    assert sqs.get_queue_attributes(QueueUrl=stack.event_publisher_dlq_url, AttributeNames=["QueueArn"])


def test_purchase_queue_visibility_is_at_least_six_times_the_earn_timeout(stack: StackResources) -> None:
    # Given the stack created from the template in moto
    region = os.environ.get("AWS_DEFAULT_REGION", "us-east-1")
    cloudformation = boto3.client("cloudformation", region_name=region)
    resources = cloudformation.describe_stack_resources(StackName=stack.stack_name)["StackResources"]
    earn_name = next(
        r["PhysicalResourceId"] for r in resources if r.get("LogicalResourceId") == "EarnFunction"
    )
    # When reading the deployed EarnFunction's timeout and the purchase queue's visibility timeout
    timeout = boto3.client("lambda", region_name=region).get_function_configuration(FunctionName=earn_name)[
        "Timeout"
    ]
    visibility = boto3.client("sqs", region_name=region).get_queue_attributes(
        QueueUrl=stack.purchase_queue_url, AttributeNames=["VisibilityTimeout"]
    )["Attributes"]["VisibilityTimeout"]
    # Then the queue hides a message long enough for six attempts of the function (AWS guidance)
    assert timeout == 30
    assert int(visibility) >= 6 * timeout


def test_stack_creates_the_event_bus_and_wires_names_into_functions(stack: StackResources) -> None:
    # Given the stack created from the template in moto
    region = os.environ.get("AWS_DEFAULT_REGION", "us-east-1")
    # When looking up the bus and a function's environment
    bus = boto3.client("events", region_name=region).describe_event_bus(Name=stack.event_bus_name)
    cloudformation = boto3.client("cloudformation", region_name=region)
    resources = cloudformation.describe_stack_resources(StackName=stack.stack_name)["StackResources"]
    publisher = next(
        # moto lists the resources it skipped (the schedules) without a logical id
        r["PhysicalResourceId"]
        for r in resources
        if r.get("LogicalResourceId") == "EventPublisherFunction"
    )
    config = boto3.client("lambda", region_name=region).get_function_configuration(FunctionName=publisher)
    # Then the bus is named after the stage and the functions get the physical names of the stack
    assert bus["Name"] == stack.event_bus_name == "loyalty-dev"
    variables = config["Environment"]["Variables"]
    assert variables["TABLE_NAME"] == stack.table_name
    assert variables["EVENT_BUS_NAME"] == "loyalty-dev"
    assert variables["PURCHASE_DLQ_URL"] == stack.dlq_url
    assert variables["POWERTOOLS_SERVICE_NAME"] == "loyalty"
    # And the expiry workers get the shard queue and its dead-letter queue, merged with Globals
    workers = next(
        r["PhysicalResourceId"] for r in resources if r.get("LogicalResourceId") == "ExpiryShardsFunction"
    )
    worker_variables = boto3.client("lambda", region_name=region).get_function_configuration(
        FunctionName=workers
    )["Environment"]["Variables"]
    assert (worker_variables["EXPIRY_QUEUE_URL"], worker_variables["EXPIRY_DLQ_URL"]) == (
        stack.expiry_queue_url,
        stack.expiry_dlq_url,
    )
    assert worker_variables["TABLE_NAME"] == stack.table_name


# ------------------------------------------------------------------------------------ template model


def test_model_lists_every_route_with_its_function_and_auth(model: TemplateModel) -> None:
    # Given the template model
    # When collecting every function's HTTP routes
    routes = [(f.logical_id, r.method, r.path, r.auth) for f in model.functions for r in f.http_routes]
    # Then they are exactly the expected routes, health and openapi without authorizer, no duplicates
    assert len(routes) == len(EXPECTED_ROUTES)
    assert set(routes) == EXPECTED_ROUTES
    assert model.authorizer_function == "AuthorizerFunction"
    assert model.authorizer_cache_seconds == 60


def test_model_has_the_purchase_queue_source_and_the_stream_source(model: TemplateModel) -> None:
    # Given the template model
    earn = model.function("EarnFunction")
    publisher = model.function("EventPublisherFunction")
    issuer = model.function("CouponIssuerFunction")
    # When reading their event sources
    [sqs_source] = earn.sqs_sources
    [stream_source] = publisher.stream_sources
    [issuer_source] = issuer.stream_sources
    # Then EarnFunction consumes PurchaseQueue 10 at a time with partial batch failures
    assert (sqs_source.queue_logical_id, sqs_source.batch_size) == ("PurchaseQueue", 10)
    assert sqs_source.report_batch_item_failures is True
    assert sqs_source.maximum_batching_window_seconds == 1
    # And EventPublisherFunction consumes the table stream, inserts only
    assert (stream_source.table_logical_id, stream_source.batch_size) == ("LoyaltyTable", 100)
    assert stream_source.report_batch_item_failures is True
    assert stream_source.filter_patterns == ('{"eventName": ["INSERT"]}',)
    # And CouponIssuerFunction consumes it the same way
    assert (issuer_source.table_logical_id, issuer_source.report_batch_item_failures) == (
        "LoyaltyTable",
        True,
    )
    assert len(issuer_source.filter_patterns) == 2  # enrolments, and the earn entries that give coupons
    # And ExpiryShardsFunction drains the expiry run's shards, one per invocation
    [shard_source] = model.function("ExpiryShardsFunction").sqs_sources
    assert (shard_source.queue_logical_id, shard_source.batch_size) == ("ExpiryShardQueue", 1)
    assert shard_source.report_batch_item_failures is True
    # And the webhook dispatcher drains the bus rule's queue, the deliverer its delivery queue
    [dispatch_source] = model.function("WebhookDispatchFunction").sqs_sources
    [delivery_source] = model.function("WebhookDeliveryFunction").sqs_sources
    assert (dispatch_source.queue_logical_id, delivery_source.queue_logical_id) == (
        "WebhookQueue",
        "WebhookDeliveryQueue",
    )
    assert dispatch_source.report_batch_item_failures
    assert delivery_source.report_batch_item_failures
    rule = next(rule for rule in model.rules if rule.logical_id == "WebhookEventsRule")
    assert (rule.logical_id, rule.event_pattern, rule.queue_targets) == (
        "WebhookEventsRule",
        {"source": ["loyalty"]},
        ("WebhookQueue",),
    )
    # And ReportAggregatorFunction reads members, new entries, tier changes, reminders and orders
    # in large batches, with a tumbling window so that each event names its shard (the checkpoint)
    [report_source] = model.function("ReportAggregatorFunction").stream_sources
    assert (report_source.batch_size, report_source.tumbling_window_seconds) == (1000, 60)
    assert report_source.report_batch_item_failures is True
    assert len(report_source.filter_patterns) == 3
    # And no other function has a queue or stream source
    consumers = (
        "EarnFunction",
        "EventPublisherFunction",
        "CouponIssuerFunction",
        "ExpiryShardsFunction",
        "ExportWorkerFunction",
        "ImportWorkerFunction",
        "WebhookDispatchFunction",
        "WebhookDeliveryFunction",
        "ReportAggregatorFunction",
    )
    others = [f for f in model.functions if f.logical_id not in consumers]
    assert not any(f.sqs_sources or f.stream_sources for f in others)


def test_model_queues_bus_and_merged_globals(model: TemplateModel) -> None:
    # Given the template model
    purchase = model.queue("PurchaseQueue")
    earn = model.function("EarnFunction")
    # Then the purchase queue redrives to its DLQ after 5 receives, and hides messages 180 s
    assert (purchase.redrive_target, purchase.max_receive_count, purchase.visibility_timeout) == (
        "PurchaseDeadLetterQueue",
        5,
        180,
    )
    assert model.queue("PurchaseDeadLetterQueue").retention == 1_209_600
    assert {q.logical_id for q in model.queues} == {
        "PurchaseQueue",
        "PurchaseDeadLetterQueue",
        "EventPublisherDeadLetterQueue",
        "CouponIssuerDeadLetterQueue",
        "ReportAggregatorDeadLetterQueue",
        "ExpiryShardQueue",
        "ExpiryShardDeadLetterQueue",
        "ExportQueue",
        "ExportDeadLetterQueue",
        "WebhookQueue",
        "WebhookDeadLetterQueue",
        "WebhookDeliveryQueue",
        "WebhookDeliveryDeadLetterQueue",
        "ImportQueue",
        "ImportDeadLetterQueue",
        "ScheduleDeadLetterQueue",
    }
    # And the expiry shard queue redrives after 5 receives, hiding a message 6x the worker's timeout
    shards = model.queue("ExpiryShardQueue")
    assert (shards.redrive_target, shards.max_receive_count) == ("ExpiryShardDeadLetterQueue", 5)
    assert shards.visibility_timeout >= 6 * model.function("ExpiryShardsFunction").timeout
    # And the run and its workers are told the queue (and the workers their DLQ)
    assert model.function("ExpiryFunction").environment["EXPIRY_QUEUE_URL"] == {"Ref": "ExpiryShardQueue"}
    assert model.function("ExpiryShardsFunction").environment["EXPIRY_DLQ_URL"] == {
        "Ref": "ExpiryShardDeadLetterQueue"
    }
    assert model.event_bus == "LoyaltyEventBus"
    # And functions inherit Globals: timeout, environment (raw intrinsics kept), handler, code dir
    assert (earn.timeout, model.function("AuthorizerFunction").timeout) == (30, 5)
    assert (earn.code_dir, earn.handler) == ("functions/earn", "app.lambda_handler")
    assert earn.environment["TABLE_NAME"] == {"Ref": "LoyaltyTable"}
    assert earn.environment["PROGRAM_CACHE_SECONDS"] == "60"
    assert earn.environment["OPERATOR_KEY_SHA256"] == {"Ref": "OperatorKeySha256"}
    assert model.parameters["Stage"] == "dev"


def test_model_reads_schedules_and_short_form_tags(tmp_path: Path) -> None:
    # Given a template with Schedule and ScheduleV2 events and short-form intrinsics
    template = tmp_path / "template.yaml"
    template.write_text(
        """
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Timeout: 10
    Environment:
      Variables:
        SHARED: one
        BUCKET: !Sub "${AWS::StackName}-bucket"
Resources:
  Bus:
    Type: AWS::Events::EventBus
    Properties:
      Name: !Join ["-", [loyalty, !Ref Stage]]
  ExpiryFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/expiry/
      Handler: app.lambda_handler
      Timeout: 300
      Environment:
        Variables:
          SHARED: two
          ARN: !GetAtt Bus.Arn
      Events:
        expiry:
          Type: ScheduleV2
          Properties:
            ScheduleExpression: cron(0 3 * * ? *)
            ScheduleExpressionTimezone: Europe/Paris
        legacy:
          Type: Schedule
          Properties:
            Schedule: rate(1 hour)
"""
    )
    # When loading it
    model = load_template(template)
    [function] = model.functions
    # Then the schedules carry their event names, expressions and timezones
    assert [(s.name, s.expression, s.timezone, s.scheduler_input) for s in function.schedules] == [
        ("expiry", "cron(0 3 * * ? *)", "Europe/Paris", "{}"),  # no Input: an empty payload
        ("legacy", "rate(1 hour)", None, None),  # a rule sends EventBridge's Scheduled Event
    ]
    # And the function's values override Globals, short-form tags become long-form dicts
    assert function.timeout == 300
    assert function.environment == {
        "SHARED": "two",
        "BUCKET": {"Fn::Sub": "${AWS::StackName}-bucket"},
        "ARN": {"Fn::GetAtt": ["Bus", "Arn"]},
    }
    assert load_yaml(template)["Resources"]["Bus"]["Properties"]["Name"] == {
        "Fn::Join": ["-", ["loyalty", {"Ref": "Stage"}]]
    }
    assert model.authorizer_function is None


def test_model_lists_the_daily_schedules_by_the_names_the_local_stack_runs(model: TemplateModel) -> None:
    # Given the template model, when collecting the schedules, then expiry and reminders run daily
    schedules = {s.name: (f.logical_id, s.expression) for f in model.functions for s in f.schedules}
    assert set(schedules) == {"expiry", "reminders", "birthdays", "tiers", "holds", "customers"}
    assert schedules["expiry"][0] == "ExpiryFunction"
    assert schedules["reminders"][0] == "RemindersFunction"
    assert schedules["customers"] == ("CustomersSnapshotFunction", "cron(20 * * * ? *)")
    daily = {name: expression for name, (_, expression) in schedules.items() if name != "holds"}
    assert all(expression.startswith("cron(") for expression in daily.values())
    # And the hold sweep runs every few minutes (holds live minutes, not days)
    assert schedules["holds"] == ("RedeemFunction", "rate(5 minutes)")
    # And EventBridge Scheduler, which sends only a schedule's Input, gives each run its time
    inputs = [json.loads(s.scheduler_input or "{}") for f in model.functions for s in f.schedules]
    assert len(inputs) == 6
    assert all(payload["time"] == "<aws.scheduler.scheduled-time>" for payload in inputs)
    assert all(payload["detail-type"] == "Scheduled Event" for payload in inputs)


def test_stack_creates_the_export_bucket_encrypted_and_the_template_keeps_it_private_and_expiring(
    stack: StackResources,
) -> None:
    # Given the stack created from the template in moto
    region = os.environ.get("AWS_DEFAULT_REGION", "us-east-1")
    cloudformation = boto3.client("cloudformation", region_name=region)
    resources = cloudformation.describe_stack_resources(StackName=stack.stack_name)["StackResources"]
    bucket = next(r["PhysicalResourceId"] for r in resources if r.get("LogicalResourceId") == "ExportBucket")
    s3 = boto3.client("s3", region_name=region)
    # Then exports are encrypted at rest, never public, and expire after the retention days
    rule = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    # (moto's CloudFormation leaves the public access block out: read it from the template)
    document = yaml_document()
    blocked = document["Resources"]["ExportBucket"]["Properties"]["PublicAccessBlockConfiguration"]
    assert blocked == dict.fromkeys(
        ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"), True
    )
    # (nor the lifecycle: read it from the template too)
    bucket_properties = document["Resources"]["ExportBucket"]["Properties"]
    lifecycle, uploads = bucket_properties["LifecycleConfiguration"]["Rules"]
    assert lifecycle["ExpirationInDays"] == {"Ref": "ExportRetentionDays"}
    assert document["Parameters"]["ExportRetentionDays"]["Default"] == 7
    assert lifecycle["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 1}
    # and uploaded import files (read once, when their import starts) are gone after a day
    assert (uploads["Prefix"], uploads["ExpirationInDays"], uploads["Status"]) == ("imports/", 1, "Enabled")


def yaml_document() -> dict[str, Any]:
    from infra.template_model import load_yaml

    return dict(load_yaml(DEFAULT_TEMPLATE_PATH))


def test_export_queue_hides_a_chunk_six_worker_timeouts_and_redrives_after_the_last_delivery(
    model: TemplateModel,
) -> None:
    from loyalty.consumers.exports import MAX_RECEIVES

    queue, worker = model.queue("ExportQueue"), model.function("ExportWorkerFunction")
    assert queue.visibility_timeout >= 6 * worker.timeout
    assert (queue.redrive_target, queue.max_receive_count) == ("ExportDeadLetterQueue", MAX_RECEIVES)
    (source,) = worker.sqs_sources
    assert (source.queue_logical_id, source.batch_size, source.report_batch_item_failures) == (
        "ExportQueue",
        1,
        True,
    )
    assert "ExportBucket" in model.buckets


def test_import_queue_hides_a_chunk_six_worker_timeouts_and_redrives_after_the_last_delivery(
    model: TemplateModel,
) -> None:
    from loyalty.consumers.imports import MAX_RECEIVES

    queue, worker = model.queue("ImportQueue"), model.function("ImportWorkerFunction")
    assert queue.visibility_timeout >= 6 * worker.timeout
    assert (queue.redrive_target, queue.max_receive_count) == ("ImportDeadLetterQueue", MAX_RECEIVES)
    (source,) = worker.sqs_sources
    assert (source.queue_logical_id, source.batch_size, source.report_batch_item_failures) == (
        "ImportQueue",
        1,
        True,
    )


def test_every_event_is_archived_to_s3_by_tenant_and_date_with_a_glue_table_and_athena_queries() -> None:
    # Given the template's resources
    resources = load_yaml(DEFAULT_TEMPLATE_PATH)["Resources"]
    # Then a rule sends every loyalty event on the bus to the Firehose delivery stream
    rule = resources["ArchiveRule"]["Properties"]
    assert rule["EventBusName"] == {"Ref": "LoyaltyEventBus"}
    assert rule["EventPattern"] == {"source": ["loyalty"]}
    assert rule["Targets"][0]["Arn"] == {"Fn::GetAtt": ["ArchiveDeliveryStream", "Arn"]}
    # And the stream writes to the archive bucket, partitioned by the event's tenant and date
    s3 = resources["ArchiveDeliveryStream"]["Properties"]["ExtendedS3DestinationConfiguration"]
    assert s3["BucketARN"] == {"Fn::GetAtt": ["ArchiveBucket", "Arn"]}
    assert s3["DynamicPartitioningConfiguration"] == {"Enabled": True}
    assert s3["Prefix"] == "events/tenant=!{partitionKeyFromQuery:tenant}/date=!{partitionKeyFromQuery:date}/"
    extraction = s3["ProcessingConfiguration"]["Processors"][0]["Parameters"][0]["ParameterValue"]
    assert extraction == "{tenant: .detail.tenant_id, date: .time[0:10]}"
    # And a Glue table reads it by the same partitions, with Athena queries for the owner's figures
    table = resources["ArchiveEventsTable"]["Properties"]["TableInput"]
    assert [key["Name"] for key in table["PartitionKeys"]] == ["tenant", "date"]
    queries = {name for name, resource in resources.items() if resource["Type"] == "AWS::Athena::NamedQuery"}
    assert queries == {"LiabilityQuery", "BreakageQuery", "ParetoQuery"}
