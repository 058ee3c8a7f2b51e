"""The program document: publishing new versions and reading current or past ones.

Every accepted PUT is a new version; versions are immutable, and ledger entries name the
version (and rules) that produced them, so changing the program never changes the past."""

from __future__ import annotations

from loyalty.errors import NotFoundError
from loyalty.models.program import Program
from loyalty.operations.context import Context, Outcome, Principal


def read_program(context: Context, tenant_id: str, version: int | None = None) -> Outcome:
    program = context.tenants.read_program(tenant_id, version)
    if program is None:
        raise NotFoundError(f"program version {version} not found" if version else "program not found")
    return Outcome(200, program.model_dump(mode="json"))


def publish_program(context: Context, principal: Principal, document: Program) -> Outcome:
    current = context.programs.get(principal.tenant_id, fresh=True)
    published = document.model_copy(update={"version": current.version + 1})  # the version is the server's
    context.tenants.publish_program(principal.tenant_id, published, current.version, context.clock())
    context.programs.forget(principal.tenant_id)
    return Outcome(200, published.model_dump(mode="json"))
