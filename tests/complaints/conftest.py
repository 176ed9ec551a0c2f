import pytest


@pytest.fixture(autouse=True)
async def _fresh_complaint_limits(redis):
    """Every test starts with the complaint counters of the shared test client's address
    empty: they are per address and hour, and all tests come from the same one. COUNT:
    SCAN's default of 10 costs a round trip per 10 keys of the whole, growing test db
    (tests/security/conftest.py, SCAN_COUNT)."""
    keys = [k async for k in redis.scan_iter(match="kinerja:aduan:*", count=10_000)]
    if keys:
        await redis.delete(*keys)
