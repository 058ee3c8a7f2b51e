"""Environment every suite shares: fake AWS credentials and a fixed region (nothing leaves the machine)."""

import os

os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ["AWS_ACCESS_KEY_ID"] = "testing"
os.environ["AWS_SECRET_ACCESS_KEY"] = "testing"
os.environ.pop("AWS_SESSION_TOKEN", None)
os.environ.pop("AWS_PROFILE", None)
os.environ["POWERTOOLS_TRACE_DISABLED"] = "1"
os.environ["POWERTOOLS_SERVICE_NAME"] = "loyalty"
os.environ["POWERTOOLS_METRICS_NAMESPACE"] = "Loyalty"
os.environ["POWERTOOLS_LOG_LEVEL"] = "WARNING"
os.environ.setdefault("TABLE_NAME", "loyalty-unset")
