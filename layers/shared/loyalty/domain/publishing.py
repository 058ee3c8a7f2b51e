"""Publishing a program document: optimistic concurrency on its version, and when a PUT changes
nothing. Pure: the operation reads the current program and asks.

A client names the version it read in two ways: the document's own `version` (what GET returns)
or `If-Match` with the GET's `ETag`. Either makes the PUT conditional; a document without a
version and no If-Match publishes over whatever is current (the last writer wins, as before
versions were checked)."""

from __future__ import annotations

from loyalty.errors import PreconditionFailedError, ProgramChangedError
from loyalty.models.program import Program


def etag(version: int) -> str:
    """The program's entity tag: its version, quoted (a strong validator)."""
    return f'"{version}"'


def claimed_version(document: Program) -> int | None:
    """The version the client says it edited; None for a document sent without one."""
    return document.version if "version" in document.model_fields_set else None


def check_preconditions(current: int, *, if_match: str | None, claimed: int | None) -> None:
    """412 for an If-Match that names no current version, 409 for a document of another version."""
    if if_match is not None and not _matches(if_match, current):
        raise PreconditionFailedError(
            f"If-Match {if_match} is not the current program version {etag(current)}"
        )
    if claimed is not None and claimed != current:
        raise ProgramChangedError(
            f"the document is version {claimed} but the program is at version {current}: "
            "read it again, apply the change, and PUT that"
        )


def _matches(if_match: str, current: int) -> bool:
    # Strong comparison (RFC 9110 13.1.1): a weak tag never matches; "*" matches any program.
    tags = [tag.strip() for tag in if_match.split(",")]
    return "*" in tags or etag(current) in tags


def unchanged(document: Program, current: Program) -> bool:
    """The document says what the current version says (values compared, not spellings: "2" and
    "2.0" are the same multiplier), so publishing it would add a version that changes nothing."""
    return document.model_dump(exclude={"version"}) == current.model_dump(exclude={"version"})
