"""Published AWS prices the cost model uses: us-east-1, on-demand, no free tier, no savings plans.

Taken from the AWS pricing pages below as known on PRICES_AS_OF (DynamoDB on-demand after the
November 2024 reduction). Change them here only, with the date.
"""

from __future__ import annotations

from decimal import Decimal

PRICES_AS_OF = "2026-11-23"
REGION = "us-east-1"

# https://aws.amazon.com/dynamodb/pricing/on-demand/
DYNAMODB_PER_MILLION_WRITE_UNITS = Decimal("0.625")
DYNAMODB_PER_MILLION_READ_UNITS = Decimal("0.125")
# Same page: GetRecords calls made by a Lambda trigger on DynamoDB Streams are not charged.
DYNAMODB_STREAMS_PER_MILLION_LAMBDA_READS = Decimal("0")

# https://aws.amazon.com/lambda/pricing/ (Arm, first 7.5 billion GB-seconds a month)
LAMBDA_PER_MILLION_REQUESTS = Decimal("0.20")
LAMBDA_ARM_PER_GB_SECOND = Decimal("0.0000133334")

# https://aws.amazon.com/sqs/pricing/ (standard queue; each 64 KB chunk of a request is one request)
SQS_PER_MILLION_REQUESTS = Decimal("0.40")

# https://aws.amazon.com/eventbridge/pricing/ (custom events to a bus; each 64 KB chunk is one event)
EVENTBRIDGE_PER_MILLION_EVENTS = Decimal("1.00")

# https://aws.amazon.com/cloudwatch/pricing/ (Logs, Standard log class, data ingested)
CLOUDWATCH_LOGS_PER_GB_INGESTED = Decimal("0.50")

# https://aws.amazon.com/xray/pricing/ (traces recorded)
XRAY_PER_MILLION_TRACES = Decimal("5.00")
