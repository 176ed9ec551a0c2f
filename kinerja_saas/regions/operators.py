"""Platform operators are created by whoever runs the platform, with the owner connection:
the app role can read them (to log them in) but never add or change one."""

from __future__ import annotations

from typing import Any

import asyncpg

from kinerja_saas.auth.service import normalise_email
from kinerja_saas.regions import queries


async def create_operator(
    owner_params: dict[str, Any], *, email: str, name: str, password_hash: str
) -> tuple[int, bool]:
    """Returns (id, created); an existing e-mail is left as it is."""
    conn = await asyncpg.connect(**owner_params)
    try:
        return await queries.insert_operator(
            conn, email=normalise_email(email), name=name, password_hash=password_hash
        )
    finally:
        await conn.close()
