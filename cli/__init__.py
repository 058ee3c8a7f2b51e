"""`loyalty`: the operator's command line. It speaks only the public HTTP API (with a key), so it
works against the local stack and a deployment alike."""
