"""Pydantic models at the boundaries: API requests and responses, queue messages, table items."""
