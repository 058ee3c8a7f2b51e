"""Consumers of event sources: the purchase queue (SQS) and the table stream (outbox)."""
