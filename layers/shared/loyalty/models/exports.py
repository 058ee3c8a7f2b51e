"""Exports at the boundaries: the request, the job's view, the queue message and the row shapes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import Field, model_validator

from loyalty.models.common import JsonInteger, NaturalId, ResponseModel, StrictModel

ExportKind = Literal["members", "ledger"]
ExportFormat = Literal["csv", "jsonl"]
JobStatus = Literal["queued", "running", "done", "failed"]


class ExportRequest(StrictModel):
    kind: ExportKind
    format: ExportFormat = "csv"
    from_: date | None = Field(
        default=None, alias="from", description="Ledger exports: the first program-local day (inclusive)"
    )
    to: date | None = Field(
        default=None, description="Ledger exports: the last program-local day (inclusive)"
    )

    model_config = StrictModel.model_config | {"populate_by_name": True}

    @model_validator(mode="after")
    def _window(self) -> ExportRequest:
        if self.kind == "members" and (self.from_ or self.to):
            raise ValueError("'from' and 'to' apply to ledger exports only")
        if self.from_ and self.to and self.from_ > self.to:
            raise ValueError("'from' is after 'to'")
        return self


class ExportStartedResponse(ResponseModel):
    """The export was accepted (202): read it with `GET /v1/exports/{export_id}` until it is done."""

    export_id: str
    status: JobStatus


class ExportResponse(ResponseModel):
    export_id: str
    kind: ExportKind
    format: ExportFormat
    from_: date | None = Field(default=None, serialization_alias="from")
    to: date | None = None
    status: JobStatus
    rows: int = Field(description="Rows written so far (the file's rows once done)")
    chunks: int = Field(description="Chunks the export is split into (shards of the tenant's members)")
    chunks_done: int
    created_at: datetime
    finished_at: datetime | None = None
    download_url: str | None = Field(default=None, description="A presigned S3 GET, once done")
    expires_at: datetime | None = Field(default=None, description="When download_url stops working")
    error: str | None = None


class ExportsPage(ResponseModel):
    items: list[ExportResponse]
    next_cursor: str | None


class ExportMessage(StrictModel):
    """One step of one export for a worker: a chunk (a shard of the tenant's members) to walk
    from its checkpoint, or `finish` (combine the chunks' parts into the one file)."""

    tenant_id: str
    export_id: NaturalId
    step: Literal["chunk", "finish"]
    chunk: JsonInteger = Field(default=0, ge=0)


MEMBER_COLUMNS = (
    "member_id",
    "available",
    "pending",
    "held",
    "debt",
    "tier_id",
    "enrolled_at",
    "name",
    "email",
    "phone",
    "birthday",
    "channel",
    "locale",
)

LEDGER_COLUMNS = (
    "member_id",
    "entry_id",
    "type",
    "points",
    "balance_after",
    "created_at",
    "source",
    "reason",
    "order_id",
    "refund_id",
    "activity_id",
    "adjustment_id",
    "redemption_id",
    "reward_id",
    "hold_id",
    "expires_on",
    "available_on",
    "debt_settled",
    "debt_incurred",
)
