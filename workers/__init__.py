"""Background work on arq: the tenant-aware job wrapper, the outbox relay and job handlers."""
