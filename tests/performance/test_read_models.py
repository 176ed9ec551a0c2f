"""The performance read models (issue 19, migration 0034): kept current by every writing
transaction, they always equal a rebuild from nothing, and the team view and the
statistics read from them answer what the live computation from the realisations answers
(tests/performance/live_reference.py, main's SQL before the read models)."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import asyncpg
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as examples
from hypothesis import strategies as st
from tortoise import connections

from kinerja_saas.auth.roles import Role
from kinerja_saas.database import app_connection_params
from kinerja_saas.database_client import count_statements
from kinerja_saas.performance import monitoring, queries
from kinerja_saas.performance.achievement import achievement_cap
from kinerja_saas.performance.queries import StatsDimension
from kinerja_saas.performance.service import rebuild_read_models
from kinerja_saas.regions.settings import defaults
from tenants.context import tenant_transaction
from tests.factories import person
from tests.performance import live_reference
from tests.performance.bulk import add_reports_with_plans

pytestmark = pytest.mark.filterwarnings("ignore::hypothesis.errors.NonInteractiveExampleWarning")

GROUPINGS: list[list[StatsDimension]] = [
    [],
    [StatsDimension.UNIT, StatsDimension.PREDIKAT],
    [StatsDimension.CHECKPOINT],
    [StatsDimension.CHECKPOINT, StatsDimension.PREDIKAT, StatsDimension.UNIT],
    [StatsDimension.PLAN_STATUS, StatsDimension.RESULT_RATING, StatsDimension.BEHAVIOUR_RATING],
]
STATUSES = ("DRAFT", "SUBMITTED", "APPROVED", "RETURNED")
EVALUATION_STATUSES = ("DRAFT", "FINALISED", "APPEALED")
PREDIKAT = ("SANGAT_BAIK", "BAIK", "BUTUH_PERBAIKAN", "KURANG", "SANGAT_KURANG")
RATINGS = ("DI_ATAS_EKSPEKTASI", "SESUAI_EKSPEKTASI", "DI_BAWAH_EKSPEKTASI")


async def _ids(sql: str, *params: Any) -> list[int]:
    rows = await connections.get("default").execute_query_dict(sql, list(params))
    return [r["id"] for r in rows]


# --- the writes a sequence is made of: each one statement, as the app role -----------------


async def add_realisations(region: Any, picks: list[int], values: list[int], status: str) -> None:
    """Realisations (or new values for existing ones) for indicator × checkpoint pairs."""
    pairs = await connections.get("default").execute_query_dict(
        "SELECT i.plan_id, i.id AS indicator_id, c.id AS checkpoint_id FROM indicators i"
        " JOIN plans p ON p.tenant_id = i.tenant_id AND p.id = i.plan_id"
        " JOIN checkpoints c ON c.tenant_id = p.tenant_id AND c.period_id = p.period_id"
        " WHERE i.tenant_id = $1 ORDER BY i.id, c.number",
        [region.id],
    )
    if not pairs:
        return
    chosen = {pick % len(pairs): value for pick, value in zip(picks, values, strict=False)}
    rows = [pairs[k] for k in sorted(chosen)]
    await connections.get("default").execute_query(
        "INSERT INTO realisations (tenant_id, plan_id, indicator_id, checkpoint_id, value,"
        " evidence, status, is_late, entered_at)"
        " SELECT $1, v.plan_id, v.indicator_id, v.checkpoint_id, v.value, '[]', $6, false, now()"
        " FROM unnest($2::bigint[], $3::bigint[], $4::bigint[], $5::numeric[])"
        " AS v(plan_id, indicator_id, checkpoint_id, value)"
        " ON CONFLICT (tenant_id, indicator_id, checkpoint_id)"
        " DO UPDATE SET value = EXCLUDED.value, status = EXCLUDED.status",
        [
            region.id,
            [r["plan_id"] for r in rows],
            [r["indicator_id"] for r in rows],
            [r["checkpoint_id"] for r in rows],
            [Decimal(chosen[k]) for k in sorted(chosen)],
            status,
        ],
    )


async def review_realisations(region: Any, picks: list[int], status: str) -> None:
    """Verify or reject (or send back to SUBMITTED) some realisations."""
    ids = await _ids("SELECT id FROM realisations WHERE tenant_id = $1 ORDER BY id", region.id)
    if ids:
        chosen = sorted({ids[p % len(ids)] for p in picks})
        await connections.get("default").execute_query(
            "UPDATE realisations SET status = $3 WHERE tenant_id = $1 AND id = ANY($2::bigint[])",
            [region.id, chosen, status],
        )


async def delete_realisations(region: Any, picks: list[int]) -> None:
    ids = await _ids("SELECT id FROM realisations WHERE tenant_id = $1 ORDER BY id", region.id)
    if ids:
        chosen = sorted({ids[p % len(ids)] for p in picks})
        await connections.get("default").execute_query(
            "DELETE FROM realisations WHERE tenant_id = $1 AND id = ANY($2::bigint[])",
            [region.id, chosen],
        )


async def set_plan_status(region: Any, picks: list[int], status: str) -> None:
    """Plans approved, returned, submitted…"""
    ids = await _ids("SELECT id FROM plans WHERE tenant_id = $1 ORDER BY id", region.id)
    chosen = sorted({ids[p % len(ids)] for p in picks})
    await connections.get("default").execute_query(
        "UPDATE plans SET status = $3 WHERE tenant_id = $1 AND id = ANY($2::bigint[])",
        [region.id, chosen, status],
    )


async def reweigh(region: Any, pick: int, weight: int, target: int) -> None:
    """An indicator's weight and target changed (a revised plan)."""
    ids = await _ids("SELECT id FROM indicators WHERE tenant_id = $1 ORDER BY id", region.id)
    await connections.get("default").execute_query(
        "UPDATE indicators SET weight = $3, target = $4 WHERE tenant_id = $1 AND id = $2",
        [region.id, ids[pick % len(ids)], weight, target],
    )


async def set_periodic(region: Any, pick: int, kind: str | None, step: int) -> None:
    """An indicator given per-checkpoint targets (CUMULATIVE or PER_PERIOD), or back to one
    annual target (None)."""
    ids = await _ids("SELECT id FROM indicators WHERE tenant_id = $1 ORDER BY id", region.id)
    targets = None if kind is None else [Decimal(step * (n + 1)) for n in range(12)]
    await connections.get("default").execute_query(
        "UPDATE indicators SET target_kind = $3, checkpoint_targets = $4::numeric[]"
        " WHERE tenant_id = $1 AND id = $2",
        [region.id, ids[pick % len(ids)], kind, targets],
    )


async def evaluate(
    region: Any, pick: int, at_checkpoint: int | None, status: str, predikat: str, rating: int
) -> None:
    """An evaluation saved, finalised or appealed (for the year or at a checkpoint)."""
    db = connections.get("default")
    plans = await db.execute_query_dict(
        "SELECT id, period_id, employee_id FROM plans WHERE tenant_id = $1 ORDER BY id",
        [region.id],
    )
    plan = plans[pick % len(plans)]
    checkpoint = None
    if at_checkpoint is not None:
        cps = await _ids(
            "SELECT id FROM checkpoints WHERE tenant_id = $1 AND period_id = $2 ORDER BY number",
            region.id,
            plan["period_id"],
        )
        checkpoint = cps[at_checkpoint % len(cps)]
    await db.execute_query(
        "INSERT INTO evaluations (tenant_id, plan_id, period_id, employee_id, checkpoint_id,"
        " status, behaviour_ratings, result_rating, behaviour_rating, predikat, created_at,"
        " updated_at) VALUES ($1, $2, $3, $4, $5, $6, '{}', $7, $8, $9, now(), now())"
        " ON CONFLICT (tenant_id, plan_id, COALESCE(checkpoint_id, 0)) DO UPDATE SET"
        " status = EXCLUDED.status, result_rating = EXCLUDED.result_rating,"
        " behaviour_rating = EXCLUDED.behaviour_rating, predikat = EXCLUDED.predikat",
        [
            region.id,
            plan["id"],
            plan["period_id"],
            plan["employee_id"],
            checkpoint,
            status,
            RATINGS[rating % 3],
            RATINGS[(rating // 3) % 3],
            predikat,
        ],
    )


async def move(region: Any, pick: int, to_b: bool) -> None:
    """An employee moved to the other unit under another supervisor, their plan with them."""
    db = connections.get("default")
    ids = await _ids(  # not the supervisors themselves: no one supervises themself
        "SELECT e.id FROM employees e JOIN plans p ON p.tenant_id = e.tenant_id"
        " AND p.employee_id = e.id WHERE e.tenant_id = $1"
        " AND e.id <> ALL($2::bigint[]) ORDER BY e.id",
        region.id,
        [region.employees[k].id for k in ("head", "chief", "other")],
    )
    employee = ids[pick % len(ids)]
    unit = region.units["b" if to_b else "a"].id
    boss = region.employees["other" if to_b else "chief"].id
    await db.execute_query(
        "UPDATE employees SET unit_id = $3, supervisor_id = $4 WHERE tenant_id = $1 AND id = $2",
        [region.id, employee, unit, boss],
    )
    await db.execute_query(
        "UPDATE plans SET unit_id = $3 WHERE tenant_id = $1 AND employee_id = $2",
        [region.id, employee, unit],
    )


async def set_cap(region: Any, cap: int) -> None:
    await connections.get("default").execute_query(
        "UPDATE tenants SET settings = jsonb_set(coalesce(settings, '{}'::jsonb)"
        " || jsonb_build_object('performance', coalesce(settings -> 'performance', '{}'::jsonb)),"
        " '{performance,achievement_cap}', to_jsonb($2::numeric)) WHERE id = $1",
        [region.id, cap],
    )


picks = st.lists(st.integers(0, 10_000), min_size=1, max_size=12)
WRITES = st.one_of(
    st.tuples(
        st.just("add"),
        picks,
        st.lists(st.integers(0, 250), min_size=1, max_size=12),
        st.sampled_from(("SUBMITTED", "VERIFIED", "REJECTED")),
    ),
    st.tuples(st.just("review"), picks, st.sampled_from(("VERIFIED", "REJECTED", "SUBMITTED"))),
    st.tuples(st.just("delete"), picks),
    st.tuples(st.just("plan_status"), picks, st.sampled_from(STATUSES)),
    st.tuples(st.just("reweigh"), st.integers(0, 10_000), st.integers(1, 100), st.integers(1, 50)),
    st.tuples(
        st.just("evaluate"),
        st.integers(0, 10_000),
        st.one_of(st.none(), st.integers(0, 20)),
        st.sampled_from(EVALUATION_STATUSES),
        st.sampled_from(PREDIKAT),
        st.integers(0, 8),
    ),
    st.tuples(st.just("move"), st.integers(0, 10_000), st.booleans()),
    st.tuples(st.just("cap"), st.sampled_from((100, 120, 150))),
    st.tuples(
        st.just("periodic"),
        st.integers(0, 10_000),
        st.sampled_from((None, "CUMULATIVE", "PER_PERIOD")),
        st.integers(1, 20),
    ),
)
ACTIONS = {
    "add": add_realisations,
    "review": review_realisations,
    "delete": delete_realisations,
    "plan_status": set_plan_status,
    "reweigh": reweigh,
    "evaluate": evaluate,
    "move": move,
    "cap": set_cap,
    "periodic": set_periodic,
}


# --- what must hold ----------------------------------------------------------------------------


async def live_team(region: Any, supervisor: str, today: date) -> list[dict]:
    return await connections.get("default").execute_query_dict(
        live_reference.TEAM_SQL,
        [
            region.id,
            region.employees[supervisor].id,
            region.period.id,
            today,
            await achievement_cap(),
        ],
    )


async def live_stats(region: Any, by: list[StatsDimension], unit: str | None) -> list[dict]:
    params: list[Any] = [region.id, region.period.id, await achievement_cap()]
    depth, unit_filter = None, ""
    if unit is not None:
        place = await queries.unit_place(region.units[unit].id)
        assert place is not None
        depth = place["depth"]
        params += [region.units[unit].id, place["path"]]
        unit_filter = "AND u.path LIKE $5 || '%'"
    sql = live_reference.stats_sql(by=by, unit_depth=depth, scoped="", unit_filter=unit_filter)
    return await connections.get("default").execute_query_dict(sql, params)


async def assert_reads_equal_live(region: Any) -> None:
    """The views read from the read models answer what the live computation answers."""
    admin = person(region, "head", Role.REGION_ADMIN, Role.SUPERVISOR)
    chief = person(region, "chief", Role.SUPERVISOR)
    today = date.today() + timedelta(days=200)  # some checkpoints have ended, some not
    for by in GROUPINGS:
        for unit in (None, "a"):
            unit_id = None if unit is None else region.units[unit].id
            got = await monitoring.performance_stats(
                actor=admin, period_id=region.period.id, unit_id=unit_id, by=by
            )
            assert got == await live_stats(region, by, unit), (by, unit)
        # a supervisor's chain: counted from the plans' rows, not the region's counts
        mine = await monitoring.performance_stats(
            actor=chief, period_id=region.period.id, unit_id=None, by=by
        )
        assert sum(r["plans"] for r in mine) <= sum(
            r["plans"] for r in await live_stats(region, by, None)
        )
    for supervisor in ("chief", "other"):
        actor = person(region, supervisor, Role.SUPERVISOR)
        got = await monitoring.my_team(actor=actor, period_id=region.period.id, today=today)
        assert got == await live_team(region, supervisor, today), supervisor


async def assert_incremental_equals_rebuild(region: Any) -> None:
    admin = person(region, "head", Role.REGION_ADMIN)
    async with tenant_transaction(region.id):
        kept = await queries.progress_state()
        await rebuild_read_models(actor=admin)
        rebuilt = await queries.progress_state()
    assert kept[0] == rebuilt[0], "plan_progress differs from its rebuild"
    assert kept[1] == rebuilt[1], "plan_progress_counts differs from its rebuild"


# --- the tests ---------------------------------------------------------------------------------


@examples(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(writes=st.lists(WRITES, min_size=1, max_size=8))
async def test_incremental_read_models_equal_a_rebuild_after_random_writes(region_a, writes):
    """Whatever sequence of writes (each in its own transaction, or several in one), the
    read models equal their recomputation, and the views read from them equal the live
    computation from the realisations."""
    if not await _has_plans(region_a):
        await add_reports_with_plans(region_a, count=6)
    together = len(writes) % 2 == 0  # every other example: the whole sequence in one transaction
    if together:
        async with tenant_transaction(region_a.id):
            for name, *args in writes:
                await ACTIONS[name](region_a, *args)
    else:
        for name, *args in writes:
            async with tenant_transaction(region_a.id):
                await ACTIONS[name](region_a, *args)
    async with tenant_transaction(region_a.id):
        await assert_reads_equal_live(region_a)
    await assert_incremental_equals_rebuild(region_a)


async def _has_plans(region: Any) -> bool:
    async with tenant_transaction(region.id):
        return bool(await _ids("SELECT id FROM plans WHERE tenant_id = $1 LIMIT 1", region.id))


async def test_concurrent_writers_of_one_plan_leave_it_right(region_a, settings):
    """Two transactions writing realisations of the same plans at once: the second refresh
    waits for the first and sees its commit, so nothing is lost in the read models."""
    await add_reports_with_plans(region_a, count=4)
    async with tenant_transaction(region_a.id):
        rows = await connections.get("default").execute_query_dict(
            "SELECT r.id FROM realisations r WHERE r.tenant_id = $1 ORDER BY r.id", [region_a.id]
        )
    ids = [r["id"] for r in rows]
    first, second = (
        await asyncpg.connect(**app_connection_params(settings)),
        await asyncpg.connect(**app_connection_params(settings)),
    )
    try:
        t1, t2 = first.transaction(), second.transaction()
        await t1.start()
        await t2.start()
        for conn in (first, second):
            await conn.execute("SELECT set_config('app.tenant_id', $1, true)", str(region_a.id))
        # Every plan in both: the second waits for the first's locks.
        await first.execute(
            "UPDATE realisations SET status = 'REJECTED' WHERE tenant_id = $1"
            " AND id = ANY($2::bigint[])",
            region_a.id,
            ids[0::2],
        )
        waiting = asyncio.create_task(
            second.execute(
                "UPDATE realisations SET value = value * 3 WHERE tenant_id = $1"
                " AND id = ANY($2::bigint[])",
                region_a.id,
                ids[1::2],
            )
        )
        await asyncio.sleep(0.3)
        assert not waiting.done(), "the second refresh did not wait for the first"
        await t1.commit()
        await waiting
        await t2.commit()
    finally:
        await first.close()
        await second.close()
    await assert_incremental_equals_rebuild(region_a)
    async with tenant_transaction(region_a.id):
        await assert_reads_equal_live(region_a)


async def test_a_changed_cap_recomputes_the_region(region_a):
    await add_reports_with_plans(region_a, count=3)
    async with tenant_transaction(region_a.id):
        await connections.get("default").execute_query(
            "UPDATE realisations SET value = 100 WHERE tenant_id = $1", [region_a.id]
        )  # 10× the target where higher is better: the cap
        before = await monitoring.performance_stats(
            actor=person(region_a, "head", Role.REGION_ADMIN),
            period_id=region_a.period.id,
            unit_id=None,
            by=[],
        )
        await set_cap(region_a, 150)
        after = await monitoring.performance_stats(
            actor=person(region_a, "head", Role.REGION_ADMIN),
            period_id=region_a.period.id,
            unit_id=None,
            by=[],
        )
        assert after[0]["average_achievement"] > before[0]["average_achievement"]
        await assert_reads_equal_live(region_a)


async def test_the_default_cap_in_sql_is_the_regions_default(region_a):
    async with tenant_transaction(region_a.id):
        await connections.get("default").execute_query(
            "UPDATE tenants SET settings = settings #- '{performance,achievement_cap}'"
            " WHERE id = $1",
            [region_a.id],
        )
        rows = await connections.get("default").execute_query_dict(
            "SELECT kinerja_region_cap($1) AS cap", [region_a.id]
        )
    assert rows[0]["cap"] == Decimal(str(defaults()["performance"]["achievement_cap"]))


# --- statement counts: set-based upkeep and reads ------------------------------------------------


async def refresh_calls(
    owner_conn,
    app_role: str,
    region: Any,
    sql: str,
    *params: Any,
    function: str = "kinerja_progress_refresh(bigint,bigint[])",
) -> int:
    """How many times one statement (as the app role, RLS applying) refreshed a read model:
    the calls of its refresh `function` in the statement's transaction, which is then rolled
    back. The training read models' tests count theirs with it too."""
    transaction = owner_conn.transaction()
    await transaction.start()
    try:
        await owner_conn.execute("SET LOCAL track_functions = 'all'")
        await owner_conn.execute(f'SET LOCAL ROLE "{app_role}"')
        await owner_conn.execute("SELECT set_config('app.tenant_id', $1, true)", str(region.id))
        # Pending counts of an earlier transaction may still be in there: the difference.
        calls = "SELECT coalesce(pg_stat_get_xact_function_calls($1::regprocedure), 0)"
        before = await owner_conn.fetchval(calls, function)
        await owner_conn.execute(sql, *params)
        after = await owner_conn.fetchval(calls, function)
    finally:
        await transaction.rollback()
    return int(after - before)


@pytest.mark.parametrize("reports", [5, 120])
async def test_one_refresh_per_write_statement_whatever_its_rows(
    region_a, owner_conn, settings, reports
):
    """The upkeep is set-based: a statement writing realisations of 5 plans or of 120
    refreshes them in one call (a fixed number of statements), never once per row."""
    await add_reports_with_plans(region_a, count=reports)
    for sql in (
        "UPDATE realisations SET status = 'VERIFIED', value = value + 1 WHERE tenant_id = $1",
        "UPDATE plans SET status = 'APPROVED' WHERE tenant_id = $1",
        "UPDATE evaluations SET status = 'FINALISED' WHERE tenant_id = $1",
        "DELETE FROM realisations WHERE tenant_id = $1",
    ):
        role = settings.app_db_user
        assert await refresh_calls(owner_conn, role, region_a, sql, region_a.id) == 1, sql


@pytest.mark.parametrize("reports", [5, 300])
async def test_team_and_statistics_cost_the_same_statements_for_any_team(region_a, reports):
    """One statement each (after the period check), whatever the team's size."""
    await add_reports_with_plans(region_a, count=reports)
    chief = person(region_a, "chief", Role.SUPERVISOR)
    admin = person(region_a, "head", Role.REGION_ADMIN)
    async with tenant_transaction(region_a.id):
        with count_statements() as team:
            rows = await monitoring.my_team(actor=chief, period_id=region_a.period.id)
        assert len(rows) == reports + 2  # staff1, staff2 and the reports
        with count_statements() as stats:
            await monitoring.performance_stats(
                actor=admin,
                period_id=region_a.period.id,
                unit_id=region_a.units["a"].id,
                by=[StatsDimension.CHECKPOINT, StatsDimension.PREDIKAT],
            )
    assert (team.count, stats.count) == (2, 3)


async def test_the_command_line_rebuild_repairs_a_damaged_read_model(
    region_a, owner_conn, settings
):
    """`kinerja tenant rebuild-read-models <slug>` puts right what a bug (here: a row
    changed behind the triggers' back) left wrong."""
    from tests.tenants.test_cli import kinerja

    await add_reports_with_plans(region_a, count=3)
    async with tenant_transaction(region_a.id):
        right = await queries.progress_state()
    await owner_conn.execute(
        "UPDATE plan_progress SET achievement = 1, pending = 99 WHERE tenant_id = $1",
        region_a.id,
    )
    await owner_conn.execute(
        "UPDATE plan_progress_counts SET plans = plans + 5 WHERE tenant_id = $1", region_a.id
    )
    async with tenant_transaction(region_a.id):
        assert await queries.progress_state() != right
    done = await asyncio.to_thread(
        kinerja, settings, "tenant", "rebuild-read-models", region_a.tenant.slug
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{region_a.tenant.slug}: read models rebuilt" in done.stdout
    async with tenant_transaction(region_a.id):
        assert await queries.progress_state() == right
    unknown = await asyncio.to_thread(kinerja, settings, "tenant", "rebuild-read-models", "nope")
    assert unknown.returncode == 1 and "tidak ditemukan" in unknown.stdout


@pytest.mark.parametrize("kind", ["CUMULATIVE", "PER_PERIOD"])
async def test_periodic_targets_and_no_data_as_the_live_rules_say(region_a, kind):
    """Per-checkpoint targets, a PER_PERIOD year sum and plans without any entry ("no
    data", null, not 0 %) read the same from the read models as live."""
    await add_reports_with_plans(region_a, count=4)
    async with tenant_transaction(region_a.id):
        await connections.get("default").execute_query(
            "UPDATE indicators SET target_kind = $2, checkpoint_targets ="
            " ARRAY(SELECT (3 * n)::numeric FROM generate_series(1, 12) n) WHERE tenant_id = $1",
            [region_a.id, kind],
        )
        plan = (await _ids("SELECT id FROM plans WHERE tenant_id = $1 ORDER BY id", region_a.id))[0]
        await connections.get("default").execute_query(
            "DELETE FROM realisations WHERE tenant_id = $1 AND plan_id = $2", [region_a.id, plan]
        )
        await assert_reads_equal_live(region_a)
        stats = await monitoring.performance_stats(
            actor=person(region_a, "head", Role.REGION_ADMIN),
            period_id=region_a.period.id,
            unit_id=None,
            by=[StatsDimension.CHECKPOINT],
        )
        assert all(r["no_data"] >= 1 for r in stats)
    await assert_incremental_equals_rebuild(region_a)
