"""The transactional outbox: events written with the change that causes them, relayed to
the job queue only after commit, handled at least once and idempotently."""
