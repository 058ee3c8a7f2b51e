"""Infrastructure helpers: the SAM template model and its offline translation (local stack, tests)."""
