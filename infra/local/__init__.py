"""The local stack: the whole product on one machine, without an AWS account or Docker (``make run``).

It implements the local stack described in docs/local-stack.md: the HTTP API through the in-process
API Gateway, an AWS-compatible endpoint (moto) with the template's table, queues and bus, pollers
that deliver queue messages and table stream records to their functions in AWS's event shapes, a
scheduler and the local-only ``/_local/`` control routes. Everything is read from ``template.yaml``.

The functions import the shared layer as ``loyalty`` (on Lambda it lives in ``/opt/python``); here
``layers/shared`` is put on ``sys.path`` as soon as this package is imported.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
_LAYER = str(ROOT / "layers" / "shared")
if _LAYER not in sys.path:
    sys.path.insert(0, _LAYER)
