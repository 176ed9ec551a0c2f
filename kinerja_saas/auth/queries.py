"""The auth domain's SQL: the definer functions that work before or across regions (login
regions, password change of an operator, token revocations), role grants and token
versions. Services in this package call these."""

from __future__ import annotations

from kinerja_saas.db import Row, db


async def add_role(*, tenant_id: int, user_id: int, role: str) -> list[str] | None:
    """Adds the role to the login unless it has it (one conditional statement: two grants
    at once cannot add it twice); returns the new roles, None when nothing changed."""
    rows = await db().execute_query_dict(
        "UPDATE user_accounts SET roles = array_append(roles, $3)"
        " WHERE tenant_id = $1 AND id = $2 AND NOT ($3 = ANY(roles)) RETURNING roles",
        [tenant_id, user_id, role],
    )
    return list(rows[0]["roles"]) if rows else None


async def revoke_token_versions(
    *, tenant_id: int | None, user_ids: list[int], versions: list[int]
) -> None:
    """Access tokens of the logins issued before their versions stop working (tenant None:
    platform operators)."""
    await db().execute_query(
        "SELECT auth_revoke_tokens($1, $2::bigint[], $3::int[], NULL)",
        [tenant_id, user_ids, versions],
    )


async def revoke_session_tokens(*, tenant_id: int | None, user_id: int, session_id: int) -> None:
    """Access tokens of one session (one device's login) stop working."""
    await db().execute_query(
        "SELECT auth_revoke_tokens($1, $2::bigint[], ARRAY[NULL]::int[], $3)",
        [tenant_id, [user_id], session_id],
    )


async def token_revocations(window_seconds: float) -> list[Row]:
    """The revocations of the last `window_seconds` (definer function
    auth_token_revocations)."""
    return await db().execute_query_dict(
        "SELECT * FROM auth_token_revocations($1)", [window_seconds]
    )


async def login_regions(email: str) -> list[int]:
    """The regions where the e-mail has a login (definer function, before any region is
    known)."""
    _, rows = await db().execute_query("SELECT tenant_id FROM auth_login_regions($1)", [email])
    return [r["tenant_id"] for r in rows]


async def change_operator_password(
    *, operator_id: int, old_hash: str | None, new_hash: str
) -> int | None:
    """Sets an operator's new password hash if the old one still holds; returns the new
    token version (None: refused — deactivated, or another change won meanwhile)."""
    _, rows = await db().execute_query(
        "SELECT operator_change_password($1, $2, $3) AS version",
        [operator_id, old_hash, new_hash],
    )
    return rows[0]["version"]


async def bump_operator_token_version(operator_id: int) -> int | None:
    """A new token version for the operator (their tokens issued before stop working)."""
    rows = await db().execute_query_dict(
        "UPDATE platform_operators SET token_version = token_version + 1 WHERE id = $1"
        " RETURNING token_version",
        [operator_id],
    )
    return rows[0]["token_version"] if rows else None


async def bump_login_token_version(*, tenant_id: int | None, user_id: int) -> int | None:
    """A new token version for a login of a region."""
    rows = await db().execute_query_dict(
        "UPDATE user_accounts SET token_version = token_version + 1"
        " WHERE tenant_id = $1 AND id = $2 RETURNING token_version",
        [tenant_id, user_id],
    )
    return rows[0]["token_version"] if rows else None
