"""Who may call what, and what no caller can reach, over real HTTP against the local stack.

- every route x another tenant's ids: a member, order, refund, adjustment, key, reward,
  redemption, hold, coupon, coupon template, lottery or draw the other tenant really has is
  indistinguishable from a missing one (404, the same problem) and stays as it was (stock
  included); the other tenant's natural ids are free for this tenant to use (no 409 that would
  reveal them), and an admin PUT under the other's reward, template or lottery id makes its own;
- every route x each kind of key: no key 401 (API Gateway's own body), unknown key 401
  problem+json, server key on admin routes 403, operator key on tenant routes 403, tenant keys on
  the operator route 403, and the keys that may call a route are let through;
- issued and revoked keys, with the authorizer's 60 s cache (README: "A revoked key keeps working
  until the authorizer's cache entry ends"): a revoked key that was never cached is refused at
  once; one that was cached keeps working through the same Authorization header, and any header
  the cache has not seen is refused;
- malformed Authorization headers, oversized and undecodable bodies;
- ids with ``#``, ``/``, ``%23``, unicode, control characters, ``..``, or spelling another item's
  DynamoDB key: refused (404 or 422), never another member's data.
"""
