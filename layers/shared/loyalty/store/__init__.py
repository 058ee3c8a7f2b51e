"""Data access: the only package that imports boto3 or writes a DynamoDB expression.

Single-table layout (tenant id in every key):

| item                 | PK                          | SK                                  |
|----------------------|-----------------------------|-------------------------------------|
| tenant               | T#{tenant}                  | TENANT                              |
| program (current)    | T#{tenant}                  | PROGRAM                             |
| program version      | T#{tenant}                  | PROGRAM#V#{version}  (immutable)    |
| key reference        | T#{tenant}                  | KEY#{key_id}                        |
| API key (by hash)    | KEY#{sha256(key)}           | KEY                                 |
| member + balance     | T#{tenant}#M#{member}       | MEMBER                              |
| lot                  | T#{tenant}#M#{member}       | MEMBER#LOT#{expires_on}             |
| pending lot          | T#{tenant}#M#{member}       | MEMBER#PENDING#{available_on}#{exp} |
| ledger entry         | T#{tenant}#M#{member}       | LEDGER#{seq}                        |
| rolling-window stats | T#{tenant}#M#{member}       | STATS#{period}  (tiers, daily caps) |
| operation record     | T#{tenant}#OP#{kind}#{id}   | OP                                  |

The member item and its lots share the prefix MEMBER, so one consistent Query reads a wallet.
Lots with an expiry date carry GSI1PK = EXPIRY#{date}#{shard}: a sparse, write-sharded index the
expiry job pages through, never a Scan. An operation record is the idempotency record of one
natural id; it is written in the same transaction as the balance change it records.
"""
