"""Platform operators are created by whoever runs the platform, with the owner connection:
the app role can read them (to log them in) but never add or change one."""

from __future__ import annotations

from typing import Any

import asyncpg

from kinerja_saas.auth.service import normalise_email


async def create_operator(
    owner_params: dict[str, Any], *, email: str, name: str, password_hash: str
) -> tuple[int, bool]:
    """Returns (id, created); an existing e-mail is left as it is."""
    conn = await asyncpg.connect(**owner_params)
    try:
        row = await conn.fetchrow(
            "INSERT INTO platform_operators (email, name, password_hash, is_active, token_version,"
            " created_at) VALUES ($1, $2, $3, true, 1, now())"
            " ON CONFLICT (email) DO NOTHING RETURNING id",
            normalise_email(email),
            name,
            password_hash,
        )
        if row is not None:
            return row["id"], True
        existing = await conn.fetchval(
            "SELECT id FROM platform_operators WHERE email = $1", normalise_email(email)
        )
        return existing, False
    finally:
        await conn.close()
