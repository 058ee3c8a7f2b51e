"""Test support: AWS backends (moto, DynamoDB Local), tables from the template, clocks, clients."""
