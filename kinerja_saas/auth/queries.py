"""The auth domain's SQL: the definer functions that work before or across regions (login
regions, password change of an operator, token revocations), role grants and token
versions. Services in this package call these."""

from __future__ import annotations

from typing import TypedDict, cast

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


class AdminLogin(TypedDict):
    id: int
    employee_id: int | None


async def lock_active_admins(*, tenant_id: int) -> list[AdminLogin]:
    """The region's active REGION_ADMIN logins, locked (FOR UPDATE) in id order: a
    concurrent revocation or deactivation waits here, then reads them as they are after
    this transaction."""
    rows = await db().execute_query_dict(
        "SELECT id, employee_id FROM user_accounts WHERE tenant_id = $1 AND is_active"
        " AND 'REGION_ADMIN' = ANY(roles) ORDER BY id FOR UPDATE",
        [tenant_id],
    )
    return cast(list[AdminLogin], rows)


class RolesAndVersion(TypedDict):
    roles: list[str]
    token_version: int


async def remove_role(*, tenant_id: int, user_id: int, role: str) -> RolesAndVersion | None:
    """Takes the role from the login when it has it and bumps its token version (one
    conditional statement); the new roles and version, None when nothing changed."""
    rows = await db().execute_query_dict(
        "UPDATE user_accounts SET roles = array_remove(roles, $3),"
        " token_version = token_version + 1"
        " WHERE tenant_id = $1 AND id = $2 AND $3 = ANY(roles) RETURNING roles, token_version",
        [tenant_id, user_id, role],
    )
    if not rows:
        return None
    return {"roles": list(rows[0]["roles"]), "token_version": rows[0]["token_version"]}


_SUPERVISES = (
    "EXISTS (SELECT 1 FROM employees r WHERE r.tenant_id = $1 AND r.is_active"
    " AND r.supervisor_id = a.employee_id)"
)
SYNC_SUPERVISORS = f"""
WITH granted AS (
    UPDATE user_accounts a SET roles = array_append(a.roles, 'SUPERVISOR')
    WHERE a.tenant_id = $1 AND a.is_active AND a.employee_id IS NOT NULL
        AND NOT ('SUPERVISOR' = ANY(a.roles)) AND {_SUPERVISES}
        AND ($2::bigint[] IS NULL OR a.employee_id = ANY($2::bigint[]))
    RETURNING a.id, a.roles, a.token_version, true AS granted
), removed AS (
    UPDATE user_accounts a SET roles = array_remove(a.roles, 'SUPERVISOR'),
        token_version = a.token_version + 1
    WHERE a.tenant_id = $1 AND 'SUPERVISOR' = ANY(a.roles) AND NOT {_SUPERVISES}
        AND ($2::bigint[] IS NULL OR a.employee_id = ANY($2::bigint[]))
    RETURNING a.id, a.roles, a.token_version, false AS granted
), changed AS (SELECT * FROM granted UNION ALL SELECT * FROM removed),
audited AS (
    INSERT INTO audit_log (tenant_id, actor_user_id, actor, action, entity, entity_id,
        before, after, request_id, created_at)
    SELECT $1, $3, $4, CASE WHEN c.granted THEN 'account.role_granted'
            ELSE 'account.role_revoked' END,
        'user_account', c.id, NULL, jsonb_build_object('roles', c.roles), $5, now()
    FROM changed c
)
SELECT id, token_version, granted FROM changed
"""


class SupervisorChange(TypedDict):
    id: int
    token_version: int
    granted: bool


async def sync_supervisor_roles(
    *,
    tenant_id: int,
    employee_ids: list[int] | None,
    actor_user_id: int | None,
    actor_label: str,
    request_id: str | None,
) -> list[SupervisorChange]:
    """SUPERVISOR granted to the logins of employees who supervise an active employee and
    taken from the others (their token version bumped), audited; one statement. The logins
    changed, `granted` false where the role was taken."""
    rows = await db().execute_query_dict(
        SYNC_SUPERVISORS, [tenant_id, employee_ids, actor_user_id, actor_label, request_id]
    )
    return cast(list[SupervisorChange], rows)
