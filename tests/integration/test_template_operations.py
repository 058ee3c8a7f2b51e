"""template.yaml's operational rules, checked on the template and its SAM translation: every queue
has a dead-letter queue and every dead-letter queue an alarm; every function a log group with
retention and an error and a throttle alarm; each function's own IAM statements name only the
resources the function is wired to; schedules retry and dead-letter; alarms notify the topic
parameter; the dashboard shows the business metrics the code emits."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from infra.sam_translate import translate
from infra.template_model import DEFAULT_TEMPLATE_PATH, load_yaml

ROOT = Path(__file__).resolve().parents[2]
# What SAM attaches to every function role by itself (logs, X-Ray, polling its event source). The
# last two are AWS managed policies with "Resource": "*": SAM gives no way to narrow them short of
# hand-written roles; the function's own statements below are what the template controls.
SAM_MANAGED = {
    "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
    "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess",
    "arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole",
    "arn:aws:iam::aws:policy/service-role/AWSLambdaDynamoDBExecutionRole",
}


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_yaml(DEFAULT_TEMPLATE_PATH)


@pytest.fixture(scope="module")
def resources(template: dict[str, Any]) -> dict[str, Any]:
    return dict(template["Resources"])


@pytest.fixture(scope="module")
def translated() -> dict[str, Any]:
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        return dict(translate(region="us-east-1")["Resources"])


def of_type(resources: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {name: r.get("Properties", {}) for name, r in resources.items() if r["Type"] == kind}


def references(value: Any) -> Iterator[str]:
    """Every logical id a fragment names: Ref, GetAtt, and ${Name} / ${Name.Attr} inside Sub."""
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "Ref" and isinstance(inner, str):
                yield inner
            elif key == "Fn::GetAtt":
                yield inner[0] if isinstance(inner, list) else str(inner).split(".")[0]
            elif key == "Fn::Sub":
                text, local = (inner[0], inner[1]) if isinstance(inner, list) else (inner, {})
                names = (name.split(".")[0] for name in re.findall(r"\$\{([^}!]+)\}", text))
                yield from (name for name in names if name not in local and not name.startswith("AWS::"))
                yield from references(local)
            else:
                yield from references(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from references(inner)


def alarms_on(resources: dict[str, Any], metric: str, dimension: str) -> dict[str, str]:
    """Alarm logical id -> the logical id its `dimension` names, for alarms on `metric`."""
    found = {}
    for name, props in of_type(resources, "AWS::CloudWatch::Alarm").items():
        if props.get("MetricName") != metric:
            continue
        for item in props.get("Dimensions", []):
            if item["Name"] == dimension:
                found[name] = next(references(item["Value"]))
    return found


def dead_letter_queues(resources: dict[str, Any]) -> set[str]:
    """Queues that receive what failed: redrive targets, stream failure destinations, bus rule and
    schedule dead-letter configs."""
    queues = set(of_type(resources, "AWS::SQS::Queue"))
    targets: set[str] = set()
    for props in of_type(resources, "AWS::SQS::Queue").values():
        if "RedrivePolicy" in props:
            targets.update(references(props["RedrivePolicy"]["deadLetterTargetArn"]))
    for props in of_type(resources, "AWS::Serverless::Function").values():
        for event in props.get("Events", {}).values():
            event_props = event.get("Properties", {})
            for key in ("DestinationConfig", "DeadLetterConfig"):
                targets.update(set(references(event_props.get(key, {}))) & queues)
    for props in of_type(resources, "AWS::Events::Rule").values():
        for target in props.get("Targets", []):
            targets.update(references(target.get("DeadLetterConfig", {})))
    return targets


def test_every_queue_has_a_dead_letter_queue_and_every_dead_letter_queue_an_alarm(resources):
    # Given the template's queues and the queues that collect failures
    queues = of_type(resources, "AWS::SQS::Queue")
    dlqs = dead_letter_queues(resources)
    # Then every queue that is not itself a dead-letter queue redrives to one, after a few receives
    for name, props in queues.items():
        if name in dlqs:
            assert "RedrivePolicy" not in props, name
            assert props["MessageRetentionPeriod"] == 1_209_600, name  # 14 days to look at them
            continue
        target = next(references(props["RedrivePolicy"]["deadLetterTargetArn"]))
        assert target in dlqs, name
        assert 1 <= int(props["RedrivePolicy"]["maxReceiveCount"]) <= 10, name
    # And every dead-letter queue has an alarm that fires on its first visible message
    watched = alarms_on(resources, "ApproximateNumberOfMessagesVisible", "QueueName")
    assert set(watched.values()) >= dlqs
    assert {"PurchaseDeadLetterQueue", "WebhookDeliveryDeadLetterQueue", "ScheduleDeadLetterQueue"} <= dlqs
    for alarm in watched:
        props = resources[alarm]["Properties"]
        assert (props["Threshold"], props["ComparisonOperator"], props["Statistic"]) == (
            0,
            "GreaterThanThreshold",
            "Maximum",
        )


def test_every_function_has_a_log_group_with_retention_and_error_and_throttle_alarms(resources):
    functions = of_type(resources, "AWS::Serverless::Function")
    errors = alarms_on(resources, "Errors", "FunctionName")
    throttles = alarms_on(resources, "Throttles", "FunctionName")
    for name, props in functions.items():
        # Its logs go to its own log group, which keeps them LogRetentionDays
        log_group = props["LoggingConfig"]["LogGroup"]["Ref"]
        assert resources[log_group]["Type"] == "AWS::Logs::LogGroup", name
        assert resources[log_group]["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}, name
        # And an alarm watches its errors, another its throttles
        assert name in errors.values(), f"{name} has no Errors alarm"
        assert name in throttles.values(), f"{name} has no Throttles alarm"


def test_each_function_role_names_only_the_resources_the_function_is_wired_to(
    template, resources, translated
):
    # Given each function's wiring: its environment (Globals' too) and its event sources
    global_environment = template["Globals"]["Function"]["Environment"]["Variables"]
    functions = of_type(resources, "AWS::Serverless::Function")
    for name, props in functions.items():
        wired = set(references(global_environment))
        wired |= set(references(props.get("Environment", {})))
        wired |= set(references(props.get("Events", {})))
        role = translated[f"{name}Role"]["Properties"]
        # When reading the statements of its role that the template wrote (its Policies)
        statements = [
            statement
            for policy in role.get("Policies", [])
            for statement in policy["PolicyDocument"]["Statement"]
        ]
        named = {ref for statement in statements for ref in references(statement["Resource"])}
        # Then they name resources, never "*", and only resources the function is wired to
        assert all(statement["Resource"] != "*" for statement in statements), name
        assert named <= wired, f"{name}'s policies name {sorted(named - wired)}, which it does not use"
        # And the managed policies are SAM's own (logs, X-Ray, its event source's poller)
        assert set(role["ManagedPolicyArns"]) <= SAM_MANAGED, name
    # And the read-only authorizer cannot write
    authorizer = translated["AuthorizerFunctionRole"]["Properties"]["Policies"]
    actions = {action for p in authorizer for s in p["PolicyDocument"]["Statement"] for action in s["Action"]}
    assert not {a for a in actions if a.endswith(("PutItem", "UpdateItem", "DeleteItem", "WriteItem"))}


def test_schedules_retry_and_dead_letter_and_queues_are_watched_for_age(resources):
    schedules = [
        (name, event["Properties"])
        for name, props in of_type(resources, "AWS::Serverless::Function").items()
        for event in props.get("Events", {}).values()
        if event["Type"] == "ScheduleV2"
    ]
    assert len(schedules) == 6
    for name, props in schedules:
        assert props["RetryPolicy"]["MaximumRetryAttempts"] >= 1, name
        assert props["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": ["ScheduleDeadLetterQueue", "Arn"]}}, name
    ages = alarms_on(resources, "ApproximateAgeOfOldestMessage", "QueueName")
    assert "PurchaseQueue" in ages.values()
    # And the webhook rule retries for a day, then dead-letters
    rule = of_type(resources, "AWS::Events::Rule")["WebhookEventsRule"]
    [target] = rule["Targets"]
    assert target["RetryPolicy"]["MaximumEventAgeInSeconds"] == 86_400
    assert next(references(target["DeadLetterConfig"])) == "WebhookDeadLetterQueue"


def test_the_table_is_watched_for_throttling_and_system_errors(resources):
    alarms = of_type(resources, "AWS::CloudWatch::Alarm")
    queries = {
        name: props["Metrics"][0]["Expression"]["Fn::Sub"]
        for name, props in alarms.items()
        if "Metrics" in props
    }
    assert any("ThrottledRequests" in q and "${LoyaltyTable}" in q for q in queries.values())
    assert any("SystemErrors" in q and "${LoyaltyTable}" in q for q in queries.values())


def test_every_alarm_notifies_the_alarm_topic_when_one_is_given(template, resources):
    assert template["Parameters"]["AlarmTopicArn"]["Default"] == ""
    actions = {"Fn::If": ["HasAlarmTopic", [{"Ref": "AlarmTopicArn"}], {"Ref": "AWS::NoValue"}]}
    alarms = of_type(resources, "AWS::CloudWatch::Alarm")
    assert len(alarms) >= 2 * len(of_type(resources, "AWS::Serverless::Function"))
    for name, props in alarms.items():
        assert props["AlarmActions"] == actions, name
        assert props["OKActions"] == actions, name
        assert props["TreatMissingData"] == "notBreaching", name


def test_the_dashboard_shows_the_business_metrics_the_code_emits(resources):
    # Given the metric names the shared package emits
    source = "\n".join(path.read_text() for path in (ROOT / "layers" / "shared" / "loyalty").rglob("*.py"))
    emitted = set(re.findall(r'count\(\s*"([A-Za-z]+)"', source))
    assert {"PointsEarned", "PointsRedeemed", "WebhooksDelivered"} <= emitted
    # When reading the dashboard (its ${...} substitutions replaced)
    [dashboard] = of_type(resources, "AWS::CloudWatch::Dashboard").values()
    body = json.loads(re.sub(r"\$\{[^}]+\}", "x", dashboard["DashboardBody"]["Fn::Sub"]))
    shown = {
        (metric[0], metric[1])
        for widget in body["widgets"]
        for metric in widget["properties"]["metrics"]
        if isinstance(metric[0], str)
    }
    # Then earns, points and redemptions are on it, with every point metric the code emits
    business = {name for namespace, name in shown if namespace == "Loyalty"}
    points = {name for name in emitted if name.startswith(("Points", "Webhook"))}
    assert points <= business, points - business
    assert ("AWS/SQS", "ApproximateNumberOfMessagesVisible") in shown
    assert ("AWS/Lambda", "Errors") in shown
