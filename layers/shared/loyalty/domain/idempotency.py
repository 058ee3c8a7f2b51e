"""Fingerprints of requests, so a replay can be told from a different request with the same id."""

from __future__ import annotations

import hashlib
import json

from pydantic import BaseModel


def request_fingerprint(kind: str, request: BaseModel, **context: str) -> str:
    """sha256 over the validated request (normalised: "129.9" and "129.90" are the same amount)."""
    body = request.model_dump(mode="json", exclude_none=True)
    canonical = json.dumps(
        {"kind": kind, "context": context, "body": body}, sort_keys=True, separators=(",", ":")
    )
    return hashlib.sha256(canonical.encode()).hexdigest()
