"""The training read models (issue 19, migration 0036): kept current by every writing
transaction — assignment of a period, manual assignment, self-enrolment, completion,
cancellation and no-shows with their waiting-list promotions, evaluations finalised or
appealed, a programme's JP, a region's time zone — they always equal a rebuild from nothing,
and the views read from them (jpLedger, the JP export, trainingEffectiveness) answer what
main's live computation from the assignments answers (LIVE_* below, main's SQL)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import asyncpg
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as examples
from hypothesis import strategies as st
from tortoise import connections

from kinerja_saas.auth.actor import Actor
from kinerja_saas.auth.roles import Role
from kinerja_saas.database import app_connection_params
from kinerja_saas.database_client import count_statements
from kinerja_saas.errors import DomainError
from kinerja_saas.exports import queries as export_queries
from kinerja_saas.performance import service as performance
from kinerja_saas.training import effectiveness, participants, queries, rules
from kinerja_saas.training.admin import rebuild_read_models
from kinerja_saas.training.assignment import assign_for_period
from tenants.context import tenant_transaction
from tests.performance.test_read_models import refresh_calls
from tests.training.helpers import (
    LIVE_PAIRS,
    admin_actor,
    build_catalogue,
    finalised_reports,
    live_effect,
)

pytestmark = pytest.mark.filterwarnings("ignore::hypothesis.errors.NonInteractiveExampleWarning")

FAR = date.today() + timedelta(days=3650)  # a completion's day: every batch has ended
PREDIKAT = ("SANGAT_BAIK", "BAIK", "BUTUH_PERBAIKAN", "KURANG", "SANGAT_KURANG")

# --- main's live computation (before the read models), the reference ---------------------------

LIVE_LEDGER = """SELECT e.id, e.nip, e.name, u.name AS unit_name, j.jp FROM employees e
    JOIN org_units u ON u.tenant_id = e.tenant_id AND u.id = e.unit_id
    CROSS JOIN LATERAL (
        SELECT coalesce(sum(p.jp_hours), 0)::int AS jp FROM training_assignments a
        JOIN training_programmes p ON p.tenant_id = a.tenant_id AND p.id = a.programme_id
        WHERE a.tenant_id = $1 AND a.employee_id = e.id AND a.status = 'COMPLETED'
            AND extract(year FROM a.completed_at AT TIME ZONE $3) = $2) j
    WHERE e.tenant_id = $1 AND e.is_active AND (NOT $4 OR j.jp < $5)
        AND ($6::bigint IS NULL OR e.id > $6::bigint)
    ORDER BY e.id LIMIT $7"""


def _db():
    return connections.get("default")


async def _rows(sql: str, *params: Any) -> list[dict]:
    return await _db().execute_query_dict(sql, list(params))


async def assert_reads_equal_live(region: Any) -> None:
    """In the region's transaction: the ledger (every year a completion fell in, both
    filters, a keyset page), the export and every period's pairs equal the live SQL."""
    zone = (await _rows("SELECT timezone FROM tenants WHERE id = $1", region.id))[0]["timezone"]
    years = {date.today().year, FAR.year, FAR.year - 1} | {
        r["y"]
        for r in await _rows(
            "SELECT DISTINCT extract(year FROM completed_at AT TIME ZONE $2)::int AS y"
            " FROM training_assignments WHERE tenant_id = $1 AND completed_at IS NOT NULL",
            region.id,
            zone,
        )
    }
    for year in sorted(years):
        for below in (False, True):
            for after in (None, region.employees["staff1"].id):
                got = await queries.jp_ledger_rows(
                    year=year, below_only=below, entitlement=20, after_id=after, limit=500
                )
                live = await _rows(LIVE_LEDGER, region.id, year, zone, below, 20, after, 501)
                assert got == live, (year, below, after)
        everyone = await _rows(LIVE_LEDGER, region.id, year, zone, False, 20, None, 100_000)
        exported = await export_queries.jp_rows(year, 20)
        assert {r["nipBaru"]: r["jumlahJam"] for r in exported} == {
            r["nip"]: r["jp"] for r in everyone
        }, year
    periods = await _rows("SELECT id FROM periods WHERE tenant_id = $1 ORDER BY id", region.id)
    for p in periods:
        for by in effectiveness.GroupBy:
            got = await effectiveness.effectiveness(
                actor=admin_actor(region), period_id=p["id"], group_by=by
            )
            assert got == await live_effectiveness(region, p["id"], by), (p, by)


async def live_effectiveness(
    region: Any, period_id: int, group_by: effectiveness.GroupBy
) -> list[effectiveness.Group]:
    """main's trainingEffectiveness: the live pairs grouped in Python by rules.effect."""
    rows = await _rows(LIVE_PAIRS, region.id, period_id)
    key, name = (
        ("programme_id", "programme_title")
        if group_by is effectiveness.GroupBy.PROGRAMME
        else ("training_unit_id", "training_unit_name")
    )
    groups: dict[int, list[dict]] = {}
    names: dict[int, str] = {}
    for row in rows:
        groups.setdefault(row[key], []).append(row)
        names[row[key]] = row[name]

    result = [effectiveness.Group(g, names[g], live_effect(m)) for g, m in sorted(groups.items())]
    return [*result, effectiveness.Group(None, "Total", live_effect(rows))]


async def assert_incremental_equals_rebuild(region: Any) -> None:
    async with tenant_transaction(region.id):
        kept = await queries.read_model_state()
        await rebuild_read_models(actor=admin_actor(region))
        rebuilt = await queries.read_model_state()
    assert kept[0] == rebuilt[0], "training_jp differs from its rebuild"
    assert kept[1] == rebuilt[1], "training_effect_pairs differs from its rebuild"


# --- a region with a catalogue and reports to train ---------------------------------------------


@dataclass
class Scene:
    programmes: list[int]
    employees: list[int]
    next_period: int


_scenes: dict[int, Scene] = {}


async def scene(region: Any) -> Scene:
    """Built once per region (hypothesis runs its examples on one fixture region): three
    programmes of 2 seats in 2 batches each, 8 reports with a finalised evaluation, and the
    next period for evaluations after the trainings."""
    if region.id in _scenes:
        return _scenes[region.id]
    cat = await build_catalogue(region, capacity=2, batches=2)
    reports = await finalised_reports(region, count=8, predikat="SANGAT_KURANG")
    async with tenant_transaction(region.id):
        following = await performance.open_period(
            actor=admin_actor(region),
            year=region.period.year + 1,
            checkpoint_kind=None,
            deadline_days=10,
        )
    found = Scene(
        [cat.waktu, cat.pelayanan, cat.masalah], [r["employee_id"] for r in reports], following.id
    )
    _scenes[region.id] = found
    return found


def employee_actor(region: Any, employee_id: int) -> Actor:
    return Actor(
        user_id=region.accounts[Role.EMPLOYEE].id,
        tenant_id=region.id,
        roles=frozenset({Role.EMPLOYEE}),
        email="employee@test",
        employee_id=employee_id,
    )


async def _pick_assignment(region: Any, statuses: tuple[str, ...], pick: int) -> int | None:
    rows = await _rows(
        "SELECT id FROM training_assignments WHERE tenant_id = $1 AND status = ANY($2::text[])"
        " ORDER BY id",
        region.id,
        list(statuses),
    )
    return rows[pick % len(rows)]["id"] if rows else None


# --- the writes: the services where there is one, else one statement as the app role ---------


async def w_assign_period(region: Any, s: Scene) -> None:
    await assign_for_period(period_id=region.period.id)


async def w_manual(region: Any, s: Scene, who: int, what: int) -> None:
    await participants.assign_manually(
        actor=admin_actor(region),
        employee_id=s.employees[who % len(s.employees)],
        programme_id=s.programmes[what % len(s.programmes)],
        period_id=region.period.id,
    )


async def w_enrol(region: Any, s: Scene, who: int, what: int) -> None:
    await participants.enrol(
        actor=employee_actor(region, s.employees[who % len(s.employees)]),
        programme_id=s.programmes[what % len(s.programmes)],
        period_id=region.period.id,
    )


async def w_complete(region: Any, s: Scene, pick: int, score: int) -> None:
    found = await _pick_assignment(region, ("ASSIGNED", "CONFIRMED", "ATTENDED"), pick)
    if found is not None:
        await participants.complete(
            actor=admin_actor(region),
            assignment_id=found,
            score=Decimal(score),
            certificate_ref=None,
            today=FAR,
        )


async def w_cancel(region: Any, s: Scene, pick: int) -> None:
    found = await _pick_assignment(region, ("WAITING", "ASSIGNED", "CONFIRMED"), pick)
    if found is not None:
        await participants.cancel(actor=admin_actor(region), assignment_id=found, reason="Batal")


async def w_no_show(region: Any, s: Scene, pick: int) -> None:
    found = await _pick_assignment(region, ("ASSIGNED", "CONFIRMED"), pick)
    if found is not None:
        await participants.mark_no_show(actor=admin_actor(region), assignment_id=found)


async def w_evaluate(
    region: Any, s: Scene, who: int, predikat: str, achievement: int, days: int
) -> None:
    """The employee's annual evaluation of the next period finalised (again) `days` days
    from now: after or before the completions, which are stamped now."""
    await _rows(
        "WITH p AS (INSERT INTO plans (tenant_id, period_id, employee_id, unit_id, evaluator_id,"
        " status, revision, created_at, updated_at)"
        " SELECT $1, $2, e.id, e.unit_id, e.supervisor_id, 'APPROVED', 0, now(), now()"
        " FROM employees e WHERE e.tenant_id = $1 AND e.id = $3"
        " ON CONFLICT (tenant_id, period_id, employee_id) DO UPDATE SET revision = 0"
        " RETURNING id, employee_id)"
        " INSERT INTO evaluations (tenant_id, plan_id, period_id, employee_id, status,"
        " behaviour_ratings, predikat, achievement, finalised_at, created_at, updated_at)"
        " SELECT $1, p.id, $2, p.employee_id, 'FINALISED', '{}', $4, $5,"
        " now() + make_interval(days => $6), now(), now() FROM p"
        " ON CONFLICT (tenant_id, plan_id, coalesce(checkpoint_id, 0)) DO UPDATE SET"
        " status = 'FINALISED', predikat = EXCLUDED.predikat,"
        " achievement = EXCLUDED.achievement, finalised_at = EXCLUDED.finalised_at",
        region.id,
        s.next_period,
        s.employees[who % len(s.employees)],
        predikat,
        achievement,
        days,
    )


async def w_appeal(region: Any, s: Scene, pick: int, status: str) -> None:
    """An evaluation (either period) appealed, finalised again, or back to draft."""
    rows = await _rows("SELECT id FROM evaluations WHERE tenant_id = $1 ORDER BY id", region.id)
    if rows:
        await _rows(
            "UPDATE evaluations SET status = $3::text, predikat = CASE WHEN $3::text = 'FINALISED'"
            " THEN 'BAIK' ELSE predikat END WHERE tenant_id = $1 AND id = $2",
            region.id,
            rows[pick % len(rows)]["id"],
            status,
        )


async def w_jp(region: Any, s: Scene, what: int, hours: int) -> None:
    await _rows(
        "UPDATE training_programmes SET jp_hours = $3 WHERE tenant_id = $1 AND id = $2",
        region.id,
        s.programmes[what % len(s.programmes)],
        hours,
    )


async def w_backdate(region: Any, s: Scene, pick: int, days: int) -> None:
    """A completion moved in time (into the year before, or across New Year's Eve)."""
    found = await _pick_assignment(region, ("COMPLETED",), pick)
    if found is not None:
        await _rows(
            "UPDATE training_assignments SET completed_at = completed_at"
            " - make_interval(days => $3) WHERE tenant_id = $1 AND id = $2",
            region.id,
            found,
            days,
        )


ACTIONS = {
    "assign_period": w_assign_period,
    "manual": w_manual,
    "enrol": w_enrol,
    "complete": w_complete,
    "cancel": w_cancel,
    "no_show": w_no_show,
    "evaluate": w_evaluate,
    "appeal": w_appeal,
    "jp": w_jp,
    "backdate": w_backdate,
}
n = st.integers(0, 1000)
WRITES = st.one_of(
    st.tuples(st.just("assign_period")),
    st.tuples(st.just("manual"), n, n),
    st.tuples(st.just("enrol"), n, n),
    st.tuples(st.just("complete"), n, st.integers(0, 100)),
    st.tuples(st.just("complete"), n, st.integers(0, 100)),
    st.tuples(st.just("cancel"), n),
    st.tuples(st.just("no_show"), n),
    st.tuples(
        st.just("evaluate"),
        n,
        st.sampled_from(PREDIKAT),
        st.integers(0, 120),
        st.integers(-2, 3),
    ),
    st.tuples(st.just("appeal"), n, st.sampled_from(("APPEALED", "FINALISED", "DRAFT"))),
    st.tuples(st.just("jp"), n, st.integers(1, 40)),
    st.tuples(st.just("backdate"), n, st.integers(0, 400)),
)


async def _run(region: Any, s: Scene, name: str, *args: Any) -> None:
    try:
        await ACTIONS[name](region, s, *args)
    except DomainError:
        pass  # refused before writing (already assigned, not open …): nothing happened


# --- the tests ---------------------------------------------------------------------------------


@examples(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(writes=st.lists(WRITES, min_size=1, max_size=10))
async def test_incremental_read_models_equal_a_rebuild_after_random_writes(region_a, writes):
    """Whatever sequence of writes (each in its own transaction, or all in one), the read
    models equal their recomputation, and the views read from them equal main's live SQL."""
    s = await scene(region_a)
    if len(writes) % 2 == 0:
        async with tenant_transaction(region_a.id):
            for name, *args in writes:
                await _run(region_a, s, name, *args)
    else:
        for name, *args in writes:
            async with tenant_transaction(region_a.id):
                await _run(region_a, s, name, *args)
    async with tenant_transaction(region_a.id):
        await assert_reads_equal_live(region_a)
    await assert_incremental_equals_rebuild(region_a)


async def _complete_all(region: Any) -> list[int]:
    """Assign the period, then complete every seated assignment (the service, one by one)."""
    async with tenant_transaction(region.id):
        await assign_for_period(period_id=region.period.id)
        ids = [
            r["id"]
            for r in await _rows(
                "SELECT id FROM training_assignments WHERE tenant_id = $1"
                " AND status = 'ASSIGNED' ORDER BY id",
                region.id,
            )
        ]
        for found in ids:
            await participants.complete(
                actor=admin_actor(region),
                assignment_id=found,
                score=Decimal(80),
                certificate_ref=None,
                today=FAR,
            )
    return ids


async def test_the_views_read_the_read_models(region_a, owner_conn):
    """Each view answers from its read model: a row changed behind the triggers' back shows
    (the test of the switch), and a rebuild puts it right."""
    await scene(region_a)
    await _complete_all(region_a)
    year = date.today().year
    async with tenant_transaction(region_a.id):
        before = await queries.jp_ledger_rows(
            year=year, below_only=False, entitlement=20, after_id=None, limit=500
        )
        effect = await effectiveness.effectiveness(
            actor=admin_actor(region_a),
            period_id=region_a.period.id,
            group_by=effectiveness.GroupBy.PROGRAMME,
        )
    assert any(r["jp"] > 0 for r in before) and effect[-1].effect.completed
    await owner_conn.execute(
        "UPDATE training_jp SET jp = jp + 1000 WHERE tenant_id = $1", region_a.id
    )
    await owner_conn.execute(
        "UPDATE training_effect_pairs SET after_predikat = 'SANGAT_BAIK',"
        " before_predikat = 'SANGAT_KURANG' WHERE tenant_id = $1",
        region_a.id,
    )
    async with tenant_transaction(region_a.id):
        damaged = await queries.jp_ledger_rows(
            year=year, below_only=False, entitlement=20, after_id=None, limit=500
        )
        assert [r["jp"] for r in damaged if r["jp"] >= 1000]
        damaged_effect = await effectiveness.effectiveness(
            actor=admin_actor(region_a),
            period_id=region_a.period.id,
            group_by=effectiveness.GroupBy.PROGRAMME,
        )
        assert damaged_effect[-1].effect.improved == damaged_effect[-1].effect.completed
        assert (await export_queries.jp_rows(year, 20))[0]["jumlahJam"] >= 0
    async with tenant_transaction(region_a.id):
        await rebuild_read_models(actor=admin_actor(region_a))  # the repair
        assert (
            await effectiveness.effectiveness(
                actor=admin_actor(region_a),
                period_id=region_a.period.id,
                group_by=effectiveness.GroupBy.PROGRAMME,
            )
            == effect
        )
        assert (
            await queries.jp_ledger_rows(
                year=year, below_only=False, entitlement=20, after_id=None, limit=500
            )
            == before
        )


async def test_a_new_time_zone_moves_completions_across_new_year(region_a, owner_conn):
    """A completion at 23:30 on 31 December in Jakarta (WIB) is 00:30 on 1 January in
    Makassar (WITA): the region's new time zone refreshes its JP per year."""
    s = await scene(region_a)
    (done, *_) = await _complete_all(region_a)
    await owner_conn.execute(
        "UPDATE training_assignments SET completed_at = '2026-12-31 23:30+07' WHERE id = $1", done
    )
    await owner_conn.execute(
        "UPDATE tenants SET timezone = 'Asia/Jakarta' WHERE id = $1", region_a.id
    )
    async with tenant_transaction(region_a.id):
        await rebuild_read_models(actor=admin_actor(region_a))
        jp = {(r["employee_id"], r["year"]) for r in (await queries.read_model_state())[0]}
    employee = (
        await owner_conn.fetchrow(
            "SELECT employee_id FROM training_assignments WHERE id = $1", done
        )
    )["employee_id"]
    assert (employee, 2026) in jp
    await owner_conn.execute(
        "UPDATE tenants SET timezone = 'Asia/Makassar' WHERE id = $1", region_a.id
    )
    async with tenant_transaction(region_a.id):
        jp = {(r["employee_id"], r["year"]) for r in (await queries.read_model_state())[0]}
    assert (employee, 2027) in jp and (employee, 2026) not in jp
    await assert_incremental_equals_rebuild(region_a)
    assert s.employees


async def test_another_regions_writes_never_show(region_a, region_b, owner_conn, settings):
    """Region b trains and evaluates its people: nothing of it reaches region a's read
    models (every row carries its region; RLS is forced, the app role sees its own)."""
    await scene(region_a)
    await _complete_all(region_a)
    async with tenant_transaction(region_a.id):
        mine = await queries.read_model_state()
    await scene(region_b)
    await _complete_all(region_b)
    async with tenant_transaction(region_a.id):
        assert await queries.read_model_state() == mine
        # as the app role: region b's rows are not there to read, even without the filter
        seen = await _rows(
            "SELECT DISTINCT tenant_id FROM training_jp UNION SELECT DISTINCT tenant_id"
            " FROM training_effect_pairs"
        )
        assert {r["tenant_id"] for r in seen} == {region_a.id}
    for table in ("training_jp", "training_effect_pairs"):
        forced = await owner_conn.fetchrow(
            "SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE relname = $1", table
        )
        assert tuple(forced) == (True, True), table
        # every row of b belongs to one of b's employees
        stray = await owner_conn.fetchval(
            f"SELECT count(*) FROM {table} x JOIN employees e ON e.id = x.employee_id"
            " WHERE e.tenant_id <> x.tenant_id"
        )
        assert stray == 0, table
    assert await owner_conn.fetchval(
        "SELECT count(*) FROM training_jp WHERE tenant_id = $1", region_b.id
    )


async def test_concurrent_completions_of_one_employee_leave_the_read_models_right(
    region_a, settings
):
    """Two transactions completing two trainings of the same employee at once: the second
    refresh waits for the first (the employee's lock) and then sees its commit, so neither
    a JP nor a pair is lost and no key is written twice."""
    s = await scene(region_a)
    who = s.employees[0]
    async with tenant_transaction(region_a.id):
        placed = [
            await participants.assign_manually(
                actor=admin_actor(region_a),
                employee_id=who,
                programme_id=programme,
                period_id=region_a.period.id,
            )
            for programme in s.programmes[:2]
        ]
    ids = [p.assignment.id for p in placed]
    first, second = (
        await asyncpg.connect(**app_connection_params(settings)),
        await asyncpg.connect(**app_connection_params(settings)),
    )
    complete_sql = (
        "UPDATE training_assignments SET status = 'COMPLETED', completed_at = now()"
        " WHERE tenant_id = $1 AND id = $2"
    )
    try:
        t1, t2 = first.transaction(), second.transaction()
        await t1.start()
        await t2.start()
        for conn in (first, second):
            await conn.execute("SELECT set_config('app.tenant_id', $1, true)", str(region_a.id))
        await first.execute(complete_sql, region_a.id, ids[0])
        waiting = asyncio.create_task(second.execute(complete_sql, region_a.id, ids[1]))
        await asyncio.sleep(0.3)
        assert not waiting.done(), "the second refresh did not wait for the first"
        await t1.commit()
        await waiting
        await t2.commit()
    finally:
        await first.close()
        await second.close()
    async with tenant_transaction(region_a.id):
        jp, pairs = await queries.read_model_state()
    assert [r["jp"] for r in jp if r["employee_id"] == who] == [24]  # 12 JP each
    assert {r["assignment_id"] for r in pairs} >= set(ids)
    await assert_incremental_equals_rebuild(region_a)


PAIR = st.tuples(
    st.one_of(st.none(), st.sampled_from((*PREDIKAT, "LAINNYA"))),
    st.one_of(st.none(), st.sampled_from(PREDIKAT)),
    st.one_of(st.none(), st.decimals(0, 120, places=2)),
    st.one_of(st.none(), st.decimals(0, 120, places=2)),
)


@given(pairs=st.lists(PAIR, max_size=40))
def test_the_counts_give_what_the_pairs_give(pairs):
    """rules.effect_of_counts on what EFFECT_COUNTS counts (its arithmetic written out
    here) equals rules.effect on the pairs, rounding included."""
    followed = [p for p in pairs if p[1] is not None]
    changes = [rules.predikat_change(b, a) for b, a, _, _ in followed]
    changes = [c for c in changes if c is not None]
    deltas = [aa - ab for _, _, ab, aa in followed if ab is not None and aa is not None]
    counted = rules.effect_of_counts(
        completed=len(pairs),
        followed_up=len(changes),
        improved=sum(c > 0 for c in changes),
        unchanged=sum(c == 0 for c in changes),
        worsened=sum(c < 0 for c in changes),
        delta_sum=sum(deltas, Decimal(0)) if deltas else None,
        deltas=len(deltas),
    )
    assert counted == rules.effect(followed, completed=len(pairs))


# --- statement counts ---------------------------------------------------------------------------


TRAINING_REFRESH = "kinerja_training_refresh(bigint,bigint[])"


async def _refreshes(owner_conn, app_role: str, region: Any, sql: str, *params: Any) -> int:
    """How many times one statement (as the app role) refreshed the training read models."""
    return await refresh_calls(
        owner_conn, app_role, region, sql, *params, function=TRAINING_REFRESH
    )


@pytest.mark.parametrize("reports", [3, 60])
async def test_upkeep_is_one_refresh_per_statement_and_none_where_nothing_counts(
    region_a, owner_conn, settings, reports
):
    """Completing 3 or 60 assignments in a statement refreshes once; placing people,
    cancelling them or saving draft evaluations refreshes nothing (they change no
    completed assignment and no finalised evaluation)."""
    await build_catalogue(region_a, capacity=100)
    await finalised_reports(region_a, count=reports)
    async with tenant_transaction(region_a.id):
        await assign_for_period(period_id=region_a.period.id)
    role = settings.app_db_user
    for sql, expected in (
        (
            "UPDATE training_assignments SET status = 'COMPLETED', completed_at = now()"
            " WHERE tenant_id = $1",
            1,
        ),
        ("UPDATE training_assignments SET status = 'CONFIRMED' WHERE tenant_id = $1", 0),
        ("UPDATE training_assignments SET status = 'CANCELLED' WHERE tenant_id = $1", 0),
        ("UPDATE evaluations SET status = 'DRAFT' WHERE tenant_id = $1 AND false", 0),
        ("UPDATE training_programmes SET description = 'x' WHERE tenant_id = $1", 0),
    ):
        assert await _refreshes(owner_conn, role, region_a, sql, region_a.id) == expected, sql


@pytest.mark.parametrize("reports", [3, 60])
async def test_views_cost_the_same_statements_for_any_region(region_a, reports):
    """jpLedger: the region's settings, then one statement; trainingEffectiveness: one."""
    await scene(region_a)
    await finalised_reports(region_a, count=reports)
    await _complete_all(region_a)
    admin = admin_actor(region_a)
    async with tenant_transaction(region_a.id):
        with count_statements() as ledger:
            lines = await participants.jp_ledger(
                actor=admin, year=date.today().year, below_only=False, limit=100, after_id=None
            )
        with count_statements() as effect:
            groups = await effectiveness.effectiveness(
                actor=admin, period_id=region_a.period.id, group_by=effectiveness.GroupBy.UNIT
            )
    assert lines and groups[-1].effect.completed > 0
    assert (ledger.count, effect.count) == (2, 1)


async def test_the_command_line_rebuild_repairs_the_training_read_models(
    region_a, owner_conn, settings
):
    from tests.tenants.test_cli import kinerja

    await scene(region_a)
    await _complete_all(region_a)
    async with tenant_transaction(region_a.id):
        right = await queries.read_model_state()
    await owner_conn.execute("DELETE FROM training_jp WHERE tenant_id = $1", region_a.id)
    await owner_conn.execute(
        "UPDATE training_effect_pairs SET before_achievement = 1 WHERE tenant_id = $1",
        region_a.id,
    )
    async with tenant_transaction(region_a.id):
        assert await queries.read_model_state() != right
    done = await asyncio.to_thread(
        kinerja, settings, "tenant", "rebuild-read-models", region_a.tenant.slug
    )
    assert done.returncode == 0, done.stdout + done.stderr
    async with tenant_transaction(region_a.id):
        assert await queries.read_model_state() == right
