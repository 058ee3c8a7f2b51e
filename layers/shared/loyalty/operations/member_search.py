"""Finding members (admin): by id, by email or by phone, each normalised the way the lookups are
written (`loyalty.domain.contacts`); the matches as the member view shows them."""

from __future__ import annotations

from loyalty.domain.calendar import local_date
from loyalty.domain.contacts import ContactKind, contacts, normalise
from loyalty.errors import InvalidRequestError
from loyalty.operations.context import Context, Outcome
from loyalty.operations.members import member_as_of
from loyalty.operations.paging import MAX_PAGE, decode_after, page


def search_members(
    context: Context,
    tenant_id: str,
    *,
    member_id: str | None,
    email: str | None,
    phone: str | None,
    limit: int,
    cursor: str | None,
) -> Outcome:
    """Exactly one of `member_id`, `email`, `phone`; the members it names, in id order, a page at
    a time (an email or a phone may be shared by several members)."""
    given = {name: value for name, value in (("member_id", member_id), ("email", email), ("phone", phone))}
    asked = [name for name, value in given.items() if value is not None]
    if len(asked) != 1:
        raise InvalidRequestError("give exactly one of member_id, email, phone")
    after = decode_after(cursor) if cursor else None
    program = context.programs.get(tenant_id)
    today = local_date(context.clock(), program.timezone)
    if member_id is not None:
        member = context.members.read_member(tenant_id, member_id) if after is None else None
        return Outcome(200, page([member_as_of(member, program, today)] if member else [], None))
    kind: ContactKind = "email" if email is not None else "phone"
    raw = email if email is not None else phone
    assert raw is not None
    normal = normalise(kind, raw)
    if normal is None:
        what = "an email address" if kind == "email" else "a phone number (6 to 15 digits, + optional)"
        raise InvalidRequestError(f"{kind} {raw!r} is not {what}")
    ids, more = context.contacts.find(tenant_id, kind, normal, min(limit, MAX_PAGE), after)
    found = [context.members.read_member(tenant_id, found_id) for found_id in ids]
    # The lookup is written with the profile, so it names the member's current value; checking it
    # again costs nothing and keeps a stray item (a hand-made repair) from showing a stranger.
    items = [
        member_as_of(member, program, today)
        for member in found
        if member is not None and contacts(member.profile).get(kind) == normal
    ]
    return Outcome(200, page(items, more))


def index_contacts(context: Context, tenant_id: str) -> int:
    """Give every member of a tenant enrolled before the email and phone lookups existed their
    lookups (once, after deploying them; running it again rewrites the same items). Walks the
    tenant's members index; answers how many members it wrote lookups for."""
    return sum(
        1 for member in context.members.tenant_members(tenant_id) if context.contacts.index_existing(member)
    )
