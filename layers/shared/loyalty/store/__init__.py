"""Data access: the only package that imports boto3 or writes a DynamoDB expression.

A module per entity, each owning its items' keys (spelled in `keys`) and expressions, each reachable
from the operations' `Context` (`operations/context.py`) on one client; no operation, consumer or
route builds a store of its own, and tests get one through the `context` fixture:

| module               | entity                                       | Context         |
|----------------------|----------------------------------------------|-----------------|
| member_store         | member item, lots codec, member indexes      | `members`       |
| tier_items           | the member item's tier map (codec, no I/O)   |                 |
| entry_store          | ledger entries                               | `entries`       |
| idempotency_store    | operation (idempotency) records              | `idempotency`   |
| purchase_store       | purchases (what refunds read), typed         | `purchases`     |
| notice_store         | reminders and sunset notices sent            | `notices`       |
| hold_store           | checkout holds                               | `holds`         |
| reward_store         | catalog rewards, counters, redemptions       | `rewards`       |
| coupon_store         | coupon templates, coupons                    | `coupons`       |
| lottery_store        | lotteries, prize stock, draws                | `lotteries`     |
| job_store            | scheduled runs' checkpoints, sunsets         | `jobs`          |
| export_store         | bulk jobs (exports), the reads an export makes | `exports`     |
| report_store         | report aggregates kept from the stream       | `reports`       |
| snapshot_store       | the customers snapshot                       | `snapshots`     |
| webhook_store        | webhooks and their delivery logs             | `webhooks`      |
| signing_key_store    | member-token signing keys                    | `signing_keys`  |
| tenant_store         | tenants, programs, API keys                  | `tenants`       |
| audit_store          | the audit log of admin/operator actions      | `audit`         |
| ledger_store         | the write path: one transaction per operation | `ledger`       |
| table                | client, item codec, `Guarded`, cancellations |                 |
|                      | put/update/delete: transaction items         |                 |
| codec                | typed records from items (`decode`)          |                 |
| export_files, messaging, webhook_queue | S3, SQS and EventBridge (not the table) |      |

`ledger_store` builds no item of its own: an operation's transaction is made of the items of the
stores above (the member's, its entry, its idempotency record, and the `Guarded` items of holds,
rewards, coupons, lotteries), and a cancellation becomes a replay, a refusal or a retry. Its one
caller is the funnel (`operations/funnel.py`): an operation states its `Decision` (answer,
posting, typed `EntryDetail`, the `Guarded` records it writes) and the funnel adds the
idempotency record, commits, answers replays and conflicts, and retries lost races.

Layering: `store/` imports no `operations/`, `http/` or `consumers/` module and decides nothing a
rule decides (which day a member is indexed on for expiry comes from `domain/`); `models/` and
`domain/` import nothing from `store/` or `operations/`; no module of `store/`, `operations/` or
`domain/` grows past 350 lines (split it by entity or by operation instead).

Single-table layout (tenant id in every key):

| item                 | PK                          | SK                                  |
|----------------------|-----------------------------|-------------------------------------|
| tenant               | T#{tenant}                  | TENANT                              |
| program (current)    | T#{tenant}                  | PROGRAM                             |
| program version      | T#{tenant}                  | PROGRAM#V#{version}  (immutable)    |
| key reference        | T#{tenant}                  | KEY#{key_id}                        |
| API key (by hash)    | KEY#{sha256(key)}           | KEY                                 |
| member, balance, lots| T#{tenant}#M#{member}       | MEMBER                              |
| ledger entry         | T#{tenant}#M#{member}       | LEDGER#{seq}                        |
| expiry reminder sent | T#{tenant}#M#{member}       | REMINDER#{expires_on}#{window}      |
| tier history         | T#{tenant}#M#{member}       | TIER#{tier revision}                |
| sunset notice sent   | T#{tenant}#M#{member}       | SUNSET#{last_redeeming_day}#{days}  |
| tenant with a sunset | SUNSETS                     | T#{tenant}  (steps done)            |
| operation record     | T#{tenant}#OP#{kind}#{id}   | OP                                  |
| reward (stock)       | T#{tenant}                  | REWARD#{reward_id}                  |
| member's reward count| T#{tenant}#M#{member}       | REWARDCOUNT#{reward_id}             |
| redemption           | T#{tenant}#M#{member}       | REDEMPTION#{redemption_id}          |
| checkout hold        | T#{tenant}#M#{member}       | HOLD#{hold_id}                      |
| coupon template      | T#{tenant}                  | COUPONTPL#{template_id}             |
| coupon (by code)     | T#{tenant}#COUPON#{code}    | COUPON                              |
| member's coupon      | T#{tenant}#M#{member}       | COUPONREF#{code}                    |
| lottery, prize stock | T#{tenant}                  | LOTTERY#{id} · PRIZE#{id}#{prize}   |
| draws per day, draw  | T#{tenant}#M#{member}       | DRAWCOUNT#{id}#{day} · DRAW#{draw}  |
| audit log entry      | T#{tenant}#AUDIT            | AUDIT#{at, UTC}#{request id}        |

The member item holds the balance, the rolling counters the rules read, and the member's lots: a
map "A#{expires_on}" / "P#{available_on}#{expires_on}" -> points (points sharing one expiry date,
and while pending one maturity date; a few dozen at most). One consistent read of one item is a
whole wallet, and the member's version condition guards balance, counters and lots together.
It also holds `status` (active or frozen) and `withheld` (what a frozen member earned: in no lot),
changed only by postings; the profile is corrected under its own `profile_revision`.
A member with dated points carries GSI1PK = EXPIRY#{next expiry date}#{shard}: a sparse,
write-sharded index the expiry job pages through (one item per due member), never a Scan.
An open hold carries GSI1PK = HOLDS#OPEN#{shard}, GSI1SK = its expiry instant (the hold sweep's
range query); capturing or releasing it removes both.
Members with a birthday carry GSI2PK = BIRTHDAY#{MM-DD}#{shard} for the birthday job.
Members above the base tier (or with an assigned tier) carry GSI3PK = TIERS#{review date}#{shard}
for the tier run. The member's `tier` map (tier, review date, grace, assignment, monthly
qualifying buckets) is written only with `tier_revision = :read`, as the run changes it without
a ledger entry (so without moving `version`).
Every member carries GSI4PK = MEMBERS#{tenant}#{shard} (set at enrolment): a program's sunset
notices and final expiry walk the tenant's members through it, never a Scan.
Every index holds keys only (`TableStore.index_items` reads each page back from the table in one
batch): a posting that leaves an item's index keys alone writes to no index, where whole-item
copies cost a write unit per index on every earn. (Members
enrolled before GSI4 existed need a one-off backfill of GSI4PK/GSI4SK.)
An operation record is the idempotency record of one natural id (the request's fingerprint and
the stored response); it is written in the same transaction as the balance change it records. A
purchase's record also carries the purchase (`state`: amount, points earned, refund totals, its
pending lot), read and updated only through `purchase_store` as a typed `PurchaseRecord`: kept on
the same item so an earn writes no more items than it did.
"""
