"""Imports and bulk adjustments at the boundaries: a row of the file, the job's views, the queue
message. The file itself is CSV (a header row) or JSON Lines; `domain.import_rows` reads it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import Field, model_validator

from loyalty.models.api import Email, Phone
from loyalty.models.common import JsonInteger, NaturalId, ResponseModel, StrictModel, Text

ImportKind = Literal["import", "adjustment"]
ImportStatus = Literal["queued", "running", "done", "failed", "reverting", "reverted"]
ImportFormat = Literal["csv", "jsonl"]
MAX_POINTS = 10**12


class ImportRow(StrictModel):
    """One row. An import's points are a credit (0 enrols or keeps the member without points); a
    bulk adjustment's are signed and not zero."""

    member_id: NaturalId
    points: JsonInteger = Field(ge=-MAX_POINTS, le=MAX_POINTS)
    expires_on: date | None = None
    earned_on: date | None = None
    name: Text | None = None
    email: Email | None = None
    phone: Phone | None = None
    birthday: date | None = None
    reason: Text | None = None
    tier_id: NaturalId | None = None  # a member the import enrols holds it (assigned) until tier_ends_on
    tier_ends_on: date | None = None

    @model_validator(mode="after")
    def _dates(self) -> ImportRow:
        if self.earned_on and self.expires_on and self.earned_on > self.expires_on:
            raise ValueError("earned_on is after expires_on")
        if self.tier_ends_on and not self.tier_id:
            raise ValueError("tier_ends_on without tier_id")
        return self


class RowError(ResponseModel):
    line: int = Field(description="The file's own line number (the CSV header is line 1)")
    reason: str


class RowCounts(ResponseModel):
    total: int = Field(description="Data rows in the file (the header not counted)")
    imported: int = Field(description="Rows applied (or, once reverted, applied and then taken back)")
    failed: int = Field(description="Rows refused, each in `errors` with its line")


class ImportStartedResponse(ResponseModel):
    import_id: str
    status: ImportStatus


class DryRunResponse(ResponseModel):
    import_id: str
    dry_run: bool = True
    kind: ImportKind
    rows: RowCounts
    errors: list[RowError]


class RevertCounts(ResponseModel):
    status: Literal["queued", "running", "done", "failed"]
    rows: int = Field(description="Rows taken back so far")


class ImportResponse(ResponseModel):
    import_id: str
    kind: ImportKind
    status: ImportStatus
    rows: RowCounts
    errors: list[RowError] = Field(description="Refused rows by line (the first 1,000)")
    reason: str | None = None
    created_at: datetime
    finished_at: datetime | None = None
    revert: RevertCounts | None = None
    error: str | None = None


class ImportSummary(ResponseModel):
    import_id: str
    kind: ImportKind
    status: ImportStatus
    rows: RowCounts
    created_at: datetime


class ImportPage(ResponseModel):
    items: list[ImportSummary]
    next_cursor: str | None = None


class ImportMessage(StrictModel):
    """One chunk of one import for a worker: apply its rows, or (`revert`) take them back."""

    tenant_id: str
    import_id: NaturalId
    step: Literal["apply", "revert"]
    chunk: JsonInteger = Field(default=0, ge=0)


class UploadRequest(StrictModel):
    """Ask for a presigned URL to upload a file too large to send inline."""

    format: ImportFormat = Field(default="csv", description="The file's format: `csv` or `jsonl`")


class UploadResponse(ResponseModel):
    import_id: str
    format: ImportFormat
    upload_url: str = Field(description="A presigned S3 PUT: send the file as the request's body")
    method: Literal["PUT"] = "PUT"
    expires_at: datetime = Field(description="When upload_url stops working")
    max_bytes: int = Field(description="The largest file an import reads from an upload")
    start: str = Field(description="The request that starts the import from the uploaded file")
