"""All SQL of the complaints domain. Every statement names the tenant ($1) as well as relying
on row-level security, but the tracking-code lookup, which runs before a tenant is known
(the definer function complaint_tracking_lookup, migration 0032)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import orjson

from kinerja_saas.complaints.events import ESCALATED, OVERDUE
from kinerja_saas.complaints.rows import Complaint, PublicStatus, ServiceContext, UnitStatistics
from kinerja_saas.db import Row, Sql, db
from kinerja_saas.indonesian import SQL_MONTHS
from kinerja_saas.outbox.queries import insert_events_sql
from kinerja_saas.outbox.topics import sql_literal
from kinerja_saas.regions.settings import ComplaintSettings, load
from tenants.context import current_tenant_id


def _long_date(column: str) -> str:
    """`column` (a date) as Indonesian text, e.g. 7 Desember 2026 (indonesian.long_date's)."""
    return (
        f"extract(day FROM {column})::int::text || ' ' || "
        f"({SQL_MONTHS})[extract(month FROM {column})::int] || ' ' || "
        f"extract(year FROM {column})::int::text"
    )


def _json(value: object) -> Any:
    return orjson.loads(value) if isinstance(value, str | bytes) else value


def _settings(stored: object) -> ComplaintSettings:
    return load({"complaints": _json(stored) or {}}).complaints


# --- public ----------------------------------------------------------------------------------


async def tracking_target(code: str) -> Row | None:
    """(tenant_id, complaint_id) of any active region's tracking code, without a tenant."""
    rows = await db().execute_query_dict(
        "SELECT tenant_id, complaint_id FROM complaint_tracking_lookup($1)", [code]
    )
    return rows[0] if rows else None


async def service_context(service_id: int) -> ServiceContext | None:
    rows = await db().execute_query_dict(
        """SELECT s.id, s.name AS service_name, u.name AS unit_name, t.name AS region_name,
            s.is_active, t.timezone::text AS timezone, t.settings -> 'complaints' AS settings
        FROM survey_services s
        JOIN tenants t ON t.id = s.tenant_id
        JOIN org_units u ON u.tenant_id = s.tenant_id AND u.id = s.unit_id
        WHERE s.tenant_id = $1 AND s.id = $2""",
        [current_tenant_id(), service_id],
    )
    if not rows:
        return None
    r = rows[0]
    return ServiceContext(
        service_id=r["id"],
        service_name=r["service_name"],
        unit_name=r["unit_name"],
        region_name=r["region_name"],
        is_active=r["is_active"],
        timezone=r["timezone"],
        settings=_settings(r["settings"]),
    )


async def insert_complaint(
    *,
    service_id: int,
    campaign_id: int | None,
    category: str,
    body: str,
    contact: str | None,
    tracking_code: str,
    client_token: str,
    received_on: date,
    due_on: date,
    escalate_on: date,
) -> Row | None:
    """The new complaint's (id, tracking_code, due_on); None when the client token (or, once
    in 2^60, the tracking code) is taken: the caller tells which."""
    rows = await db().execute_query_dict(
        """INSERT INTO complaints (tenant_id, service_id, campaign_id, category, body, contact,
            tracking_code, client_token, received_on, due_on, escalate_on)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
        ON CONFLICT DO NOTHING
        RETURNING id, tracking_code, due_on""",
        [
            current_tenant_id(),
            service_id,
            campaign_id,
            category,
            body,
            contact,
            tracking_code,
            client_token,
            received_on,
            due_on,
            escalate_on,
        ],
    )
    return rows[0] if rows else None


async def complaint_of_client_token(client_token: str) -> Row | None:
    rows = await db().execute_query_dict(
        """SELECT id, service_id, category, body, contact, tracking_code, due_on
        FROM complaints WHERE tenant_id = $1 AND client_token = $2""",
        [current_tenant_id(), client_token],
    )
    return rows[0] if rows else None


async def public_status(complaint_id: int) -> PublicStatus | None:
    """Only what a tracking code's holder may see (no contact, no text, no ids)."""
    rows = await db().execute_query_dict(
        """SELECT c.tracking_code, c.status, c.category, s.name AS service_name,
            u.name AS unit_name, t.name AS region_name, c.received_on, c.due_on, c.answer,
            (c.answered_at AT TIME ZONE t.timezone::text)::date AS answered_on,
            t.settings -> 'complaints' AS settings
        FROM complaints c
        JOIN tenants t ON t.id = c.tenant_id
        JOIN survey_services s ON s.tenant_id = c.tenant_id AND s.id = c.service_id
        JOIN org_units u ON u.tenant_id = c.tenant_id AND u.id = s.unit_id
        WHERE c.tenant_id = $1 AND c.id = $2""",
        [current_tenant_id(), complaint_id],
    )
    if not rows:
        return None
    r = rows[0]
    return PublicStatus(
        tracking_code=r["tracking_code"],
        status=r["status"],
        category=r["category"],
        service_name=r["service_name"],
        unit_name=r["unit_name"],
        region_name=r["region_name"],
        received_on=r["received_on"],
        due_on=r["due_on"],
        answer=r["answer"],
        answered_on=r["answered_on"],
        lapor_url=_settings(r["settings"]).lapor_url,
    )


# --- the unit head's and the admin's side -----------------------------------------------------

_COMPLAINT = """
SELECT c.id, c.tracking_code, c.service_id, s.name AS service_name, u.id AS unit_id,
    u.name AS unit_name, c.category, c.body, c.contact, c.status, c.received_on, c.due_on,
    c.answer, c.answered_at, c.head_reminded_at, c.admin_reminded_at, u.path AS unit_path
FROM complaints c
JOIN survey_services s ON s.tenant_id = c.tenant_id AND s.id = c.service_id
JOIN org_units u ON u.tenant_id = c.tenant_id AND u.id = s.unit_id
WHERE c.tenant_id = $1"""


def _complaint(r: Row) -> Complaint:
    return Complaint(**{k: v for k, v in r.items() if k != "unit_path"})


async def complaint_for_update(complaint_id: int) -> tuple[Complaint, str] | None:
    """The complaint and its service's unit path, locked until the transaction ends."""
    rows = await db().execute_query_dict(
        _COMPLAINT + " AND c.id = $2 FOR UPDATE OF c", [current_tenant_id(), complaint_id]
    )
    return (_complaint(rows[0]), rows[0]["unit_path"]) if rows else None


async def answer(complaint_id: int, text: str, user_id: int | None) -> Complaint:
    await db().execute_query(
        "UPDATE complaints SET status = 'DIJAWAB', answer = $3, answered_at = now(),"
        " answered_by = $4 WHERE tenant_id = $1 AND id = $2 AND status = 'BARU'",
        [current_tenant_id(), complaint_id, text, user_id],
    )
    rows = await db().execute_query_dict(
        _COMPLAINT + " AND c.id = $2", [current_tenant_id(), complaint_id]
    )
    return _complaint(rows[0])


async def complaints(
    *,
    unit_path: str | None,
    status: str | None,
    overdue_on: date | None,
    after_id: int | None,
    limit: int,
) -> list[Complaint]:
    """Newest first, keyset by id: the region's, or those of a unit and its sub-units;
    `overdue_on`: only those still open after their due day as of that day."""
    sql = Sql(current_tenant_id())
    if unit_path is not None:
        sql.where.append(f"u.path LIKE {sql(unit_path)} || '%'")
    if status is not None:
        sql.where.append(f"c.status = {sql(status)}")
    if overdue_on is not None:
        sql.where.append(f"c.status = 'BARU' AND c.due_on < {sql(overdue_on)}")
    if after_id is not None:
        sql.where.append(f"c.id < {sql(after_id)}")
    rows = await db().execute_query_dict(
        f"{_COMPLAINT}{sql.conditions(prefix=' AND ')} ORDER BY c.id DESC LIMIT {sql(limit + 1)}",
        sql.params,
    )
    return [_complaint(r) for r in rows]


async def unit_statistics(
    *, unit_path: str | None, since: date, until: date, today: date
) -> list[UnitStatistics]:
    """Per unit of the services complained about, the complaints received from `since` to
    `until` (inclusive): one statement."""
    sql = Sql(current_tenant_id(), since, until, today)
    if unit_path is not None:
        sql.where.append(f"u.path LIKE {sql(unit_path)} || '%'")
    rows = await db().execute_query_dict(
        f"""SELECT u.id AS unit_id, u.name AS unit_name, count(*)::int AS received,
            count(*) FILTER (WHERE c.status = 'DIJAWAB')::int AS answered,
            count(*) FILTER (WHERE c.status = 'BARU')::int AS open,
            count(*) FILTER (WHERE c.status = 'BARU' AND c.due_on < $4)::int AS overdue,
            count(*) FILTER (WHERE c.status = 'DIJAWAB'
                AND (c.answered_at AT TIME ZONE t.timezone::text)::date <= c.due_on
            )::int AS answered_on_time,
            round((avg(extract(epoch FROM c.answered_at - c.created_at))
                FILTER (WHERE c.status = 'DIJAWAB') / 3600)::numeric, 1)
                AS mean_response_hours
        FROM complaints c
        JOIN tenants t ON t.id = c.tenant_id
        JOIN survey_services s ON s.tenant_id = c.tenant_id AND s.id = c.service_id
        JOIN org_units u ON u.tenant_id = c.tenant_id AND u.id = s.unit_id
        WHERE c.tenant_id = $1 AND c.received_on BETWEEN $2 AND $3
            {sql.conditions(prefix=" AND ")}
        GROUP BY u.id, u.name ORDER BY u.name, u.id""",
        sql.params,
    )
    return [UnitStatistics(**r) for r in rows]


# --- the daily reminders ----------------------------------------------------------------------

# One statement per region and run: the head stage marks complaints open past their due
# day that were not reminded yet; the admin stage those past their escalation day whose
# head was reminded on an earlier day's run (20 hours before at least: after an outage of
# the cron the head still gets a working day before the admins hear of it). Each marked complaint gets its
# event; a repeated run finds nothing left to mark and writes nothing.
_PAYLOAD = (
    "jsonb_build_object('complaint_id', m.id, 'service_id', m.service_id, 'tracking_code',"
    " substr(m.tracking_code, 1, 4) || '-' || substr(m.tracking_code, 5, 4) || '-'"
    " || substr(m.tracking_code, 9, 4), 'due_on', m.due_on::text, 'batas', "
    + _long_date("m.due_on")
    + ")"
)
_REMIND = """
WITH head AS (
    UPDATE complaints SET head_reminded_at = $3
    WHERE tenant_id = $1 AND status = 'BARU' AND due_on < $2 AND head_reminded_at IS NULL
    RETURNING id, service_id, tracking_code, due_on, 'HEAD'::text AS stage
), admin AS (
    UPDATE complaints SET admin_reminded_at = $3
    WHERE tenant_id = $1 AND status = 'BARU' AND escalate_on < $2
        AND head_reminded_at < $3::timestamptz - interval '20 hours'
        AND admin_reminded_at IS NULL
    RETURNING id, service_id, tracking_code, due_on, 'ADMIN'::text AS stage
), marked AS (SELECT * FROM head UNION ALL SELECT * FROM admin)
""" + insert_events_sql(
    None,
    topic_sql=f"CASE m.stage WHEN 'HEAD' THEN {sql_literal(OVERDUE)}"
    f" ELSE {sql_literal(ESCALATED)} END",
    payload_sql=_PAYLOAD,
    tail_sql="FROM marked m ORDER BY m.stage DESC, m.id",
    returning="topic",
)


async def remind_overdue(*, today: date, now: datetime) -> list[str]:
    """The topics of the events written (one per complaint reminded or escalated)."""
    rows = await db().execute_query_dict(_REMIND, [current_tenant_id(), today, now])
    return [r["topic"] for r in rows]
