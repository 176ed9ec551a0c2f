"""The auth domain's SQL: the definer functions that work before or across regions (login
regions, password change of an operator, token revocations), role grants and token
versions. Services in this package call these."""

from __future__ import annotations

from typing import Any

from kinerja_saas.db import Row, db


async def add_role(params: list[Any]) -> list[Row]:
    """Adds the role ($3) to the login ($2) unless it has it; returns the new roles, or no
    row."""
    return await db().execute_query_dict(
        "UPDATE user_accounts SET roles = array_append(roles, $3)"
        " WHERE tenant_id = $1 AND id = $2 AND NOT ($3 = ANY(roles)) RETURNING roles",
        params,
    )


async def revoke_token_versions(params: list[Any]) -> tuple[int, Any]:
    """Access tokens of the logins ($2) issued before their versions ($3) stop working
    (tenant $1; NULL: operators)."""
    return await db().execute_query(
        "SELECT auth_revoke_tokens($1, $2::bigint[], $3::int[], NULL)", params
    )


async def revoke_session_tokens(params: list[Any]) -> tuple[int, Any]:
    """Access tokens of one session ($3) of a login stop working."""
    return await db().execute_query(
        "SELECT auth_revoke_tokens($1, $2::bigint[], ARRAY[NULL]::int[], $3)", params
    )


async def token_revocations(params: list[Any]) -> list[Row]:
    """The revocations of the last $1 seconds (definer function auth_token_revocations)."""
    return await db().execute_query_dict("SELECT * FROM auth_token_revocations($1)", params)


async def login_regions(params: list[Any]) -> tuple[int, Any]:
    """The regions where the e-mail has a login (definer function, before any region is
    known)."""
    return await db().execute_query("SELECT tenant_id FROM auth_login_regions($1)", params)


async def change_operator_password(params: list[Any]) -> tuple[int, Any]:
    """Sets an operator's new password hash if the old one ($2) still holds; returns the new
    token version (NULL: refused)."""
    return await db().execute_query(
        "SELECT operator_change_password($1, $2, $3) AS version", params
    )


async def bump_operator_token_version(params: list[Any]) -> list[Row]:
    """A new token version for the operator: their tokens issued before stop working."""
    return await db().execute_query_dict(
        "UPDATE platform_operators SET token_version = token_version + 1 WHERE id = $1"
        " RETURNING token_version",
        params,
    )


async def bump_login_token_version(params: list[Any]) -> list[Row]:
    """A new token version for the login ($2) of region $1."""
    return await db().execute_query_dict(
        "UPDATE user_accounts SET token_version = token_version + 1"
        " WHERE tenant_id = $1 AND id = $2 RETURNING token_version",
        params,
    )
