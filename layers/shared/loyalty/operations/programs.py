"""The program document: publishing new versions and reading current or past ones.

Every PUT that changes the program is a new version; versions are immutable, and ledger entries
name the version (and rules) that produced them, so changing the program never changes the past.
A PUT names the version it edits (the document's `version`, or If-Match with the GET's ETag) and
then publishes only over that version, atomically (see `TenantStore.publish_program`)."""

from __future__ import annotations

from loyalty.domain.publishing import check_preconditions, claimed_version, unchanged
from loyalty.errors import CurrencyLockedError, NotFoundError, ProgramChangedError, TransientError
from loyalty.models.program import Program
from loyalty.operations.audit import audit_entry
from loyalty.operations.context import Context, Outcome, Principal

ATTEMPTS = 3


def read_program(context: Context, tenant_id: str, version: int | None = None) -> Outcome:
    program = context.tenants.read_program(tenant_id, version)
    if program is None:
        raise NotFoundError(f"program version {version} not found" if version else "program not found")
    return Outcome(200, program.model_dump(mode="json"))


def current_program(context: Context, tenant_id: str) -> Program:
    """The current version as stored (not as a warm cache last saw it): what a GET shows and
    tags, so that a PUT of it is not refused as stale."""
    return context.programs.get(tenant_id, fresh=True)


def publish_program(
    context: Context, principal: Principal, document: Program, if_match: str | None = None
) -> Outcome:
    """Publish `document` as the next version; answer the version now current (200).

    409 for a document of another version than the current one, 412 for a stale If-Match (and
    for either when another PUT wins the race after our read); 409 for a currency change once
    points were earned in the program's currency. A document that says what the current version
    says publishes nothing and answers the current version."""
    tenant_id = principal.tenant_id
    claimed = claimed_version(document)
    for _ in range(ATTEMPTS):
        current = current_program(context, tenant_id)
        check_preconditions(current.version, if_match=if_match, claimed=claimed)
        if unchanged(document, current):
            return Outcome(200, current.model_dump(mode="json"))
        if document.currency != current.currency and context.members.has_members(tenant_id):
            # "Points were earned in the currency" is taken as "the program has members": a
            # member's points (the signup bonus on, purchases, refunds still to come) and the
            # rewards they buy are valued in it; a member without any yet errs on the safe side.
            # Known from one keys-only query per shard of the member index, on the rare PUT that
            # changes the currency, rather than from a tenant-wide flag or counter that every
            # earn would have to write (a hot item).
            raise CurrencyLockedError(
                f"the program has members, whose points were earned in {current.currency}; "
                f"the currency cannot change to {document.currency}"
            )
        published = document.model_copy(update={"version": current.version + 1})
        try:
            # Conditional on the current-version pointer still being `current.version`, in the
            # same transaction as the new version: of two PUTs from one version, one wins.
            now = context.clock()
            entry = audit_entry(
                principal, "program.published", now, version=published.version, previous=current.version
            )
            context.tenants.publish_program(
                tenant_id, published, current.version, now, context.audit.put(tenant_id, entry)
            )
        except ProgramChangedError:
            # Another PUT won: decide again on the version that won (a conditional PUT is now
            # stale, 409 or 412; an unconditional one, the last writer, publishes over it).
            continue
        context.programs.forget(tenant_id)
        return Outcome(200, published.model_dump(mode="json"))
    raise TransientError("the program kept changing while this version was being published; retry")
