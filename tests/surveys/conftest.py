import pytest


@pytest.fixture(autouse=True)
def _fresh_rate_limits(redis):
    """The `redis` fixture empties the test db once per run: rate-limit keys carry region
    ids, which restart with the freshly migrated test database."""
