import pytest


@pytest.fixture(autouse=True)
async def _fresh_complaint_limits(redis):
    """Every test starts with the complaint counters of the shared test client's address
    empty: they are per address and hour, and all tests come from the same one."""
    keys = [k async for k in redis.scan_iter(match="kinerja:aduan:*")]
    if keys:
        await redis.delete(*keys)
