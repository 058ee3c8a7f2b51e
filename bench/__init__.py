"""Benchmarks (`make bench`, `python -m bench.run`): each module measures one thing, run.py writes
bench/results.md. Importing the package puts the shared layer on the path and fakes AWS
credentials, so nothing here can reach a real account."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for _path in (str(ROOT / "layers" / "shared"), str(ROOT)):
    if _path not in sys.path:
        sys.path.insert(0, _path)
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "1")
# The template's Globals, so the handlers log and emit metrics as they do in Lambda.
os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "loyalty")
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "Loyalty")
os.environ.setdefault("LOG_LEVEL", "INFO")
