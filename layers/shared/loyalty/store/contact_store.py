"""Contact lookups: members found by email or phone, one small item per (tenant, normalised value,
member): `T#{tenant}#CONTACT#EMAIL#{sha256}` / `...#PHONE#{sha256}`, sort key `M#{member_id}`.

Why lookup items and not a sparse GSI on the member item:
- they are written in the same transaction as the profile they mirror (enrolment; a profile
  correction, under the profile's revision condition, deletes the old value's item and puts the
  new one), so a search read consistently sees a change at once; a GSI is eventually consistent
  and an admin who just corrected an address would not find it;
- two values (email and phone) would need two more GSIs on the table (CloudFormation adds one
  per stack update), each copying a key of every member with a contact;
- an address shared by several members (a family, a shop's test account) is just several items
  under one key: nothing is unique, so nothing can refuse an enrolment;
- the value is hashed in the key: no personal data in keys, streams or logs. The member item
  keeps the profile; a lookup item holds only the tenant and member ids.

Whoever removes personal data (erasure) must delete these items too: `removals(member)`.
Members enrolled before the lookups existed have none until `index_existing` writes them (the
operation `member_search.index_contacts` walks a tenant's members) or their contacts next change.
"""

from __future__ import annotations

from typing import Any

from loyalty.domain.contacts import ContactKind, contacts
from loyalty.store import keys
from loyalty.store.member_store import MemberRecord
from loyalty.store.table import Guarded, TableStore, delete, names, put, to_item, values


class ContactStore(TableStore):
    def changes(
        self, tenant_id: str, member_id: str, before: dict[str, Any], after: dict[str, Any]
    ) -> tuple[Guarded, ...]:
        """The lookup items a profile change writes, in the same transaction as the profile: the
        old value's item deleted and the new one's put, for each contact whose normal form moved
        (none when it did not: "Ann@x.com" -> "ann@x.com" is the same address)."""
        old, new = contacts(before), contacts(after)
        actions: list[Guarded] = []
        for kind in sorted(old.keys() | new.keys()):
            if old.get(kind) == new.get(kind):
                continue
            if kind in old:
                actions.append(self._delete(tenant_id, member_id, kind, old[kind]))
            if kind in new:
                actions.append(self._put(tenant_id, member_id, kind, new[kind]))
        return tuple(actions)

    def additions(self, tenant_id: str, member_id: str, profile: dict[str, Any]) -> tuple[Guarded, ...]:
        """A new member's lookup items (enrolment)."""
        return self.changes(tenant_id, member_id, {}, profile)

    def removals(self, tenant_id: str, member_id: str, profile: dict[str, Any]) -> tuple[Guarded, ...]:
        """Every lookup item of a member with this profile (an erasure deletes them with it)."""
        return self.changes(tenant_id, member_id, profile, {})

    def index_existing(self, member: MemberRecord) -> bool:
        """Write the lookups of a member enrolled before they existed, only over the profile as read
        (a correction racing this one writes its own); False when the profile changed meanwhile
        or the member has no contact to find."""
        puts = self.additions(member.tenant_id, member.member_id, member.profile)
        if not puts:
            return False
        condition = (
            "attribute_not_exists(#profile_revision)"
            if member.profile_revision == 0
            else "#profile_revision = :read"
        )
        check: dict[str, Any] = {
            "TableName": self.table_name,
            "Key": to_item({"PK": keys.member_pk(member.tenant_id, member.member_id), "SK": keys.MEMBER_SK}),
            "ConditionExpression": f"attribute_exists(PK) AND {condition}",
            "ExpressionAttributeNames": names("profile_revision"),
        }
        if member.profile_revision:
            check["ExpressionAttributeValues"] = values(read=member.profile_revision)
        return self.transact([{"ConditionCheck": check}, *(put.action for put in puts)]) is None

    def find(
        self, tenant_id: str, kind: ContactKind, normal: str, limit: int, after: str | None
    ) -> tuple[list[str], str | None]:
        """The ids of the tenant's members with this normalised contact, in id order, a page at a
        time (read consistently); and the id to continue after when more follow."""
        items, more = self.query_page(
            keys.contact_pk(tenant_id, kind, normal), keys.CONTACT_MEMBER_PREFIX, limit, after
        )
        return [str(item["member_id"]) for item in items], more

    def _put(self, tenant_id: str, member_id: str, kind: str, normal: str) -> Guarded:
        item = {
            "PK": keys.contact_pk(tenant_id, kind, normal),
            "SK": keys.contact_sk(member_id),
            "tenant_id": tenant_id,
            "member_id": member_id,
            "kind": kind,
        }
        # No condition: putting it again is the same item (the profile's condition guards the write).
        return Guarded(put(self.table_name, item))

    def _delete(self, tenant_id: str, member_id: str, kind: str, normal: str) -> Guarded:
        key = {"PK": keys.contact_pk(tenant_id, kind, normal), "SK": keys.contact_sk(member_id)}
        return Guarded(delete(self.table_name, key))
