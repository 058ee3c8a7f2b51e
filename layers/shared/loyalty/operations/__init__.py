"""Business operations: read state through the store, apply the domain rules, commit atomically.

Knows nothing of Lambda or HTTP: the HTTP routes and the queue consumer both call these."""
