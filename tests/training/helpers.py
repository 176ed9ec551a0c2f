"""Builders for the training tests, on the fixture region of tests/conftest.build_region
(`other` holds the TRAINING_OFFICER login, `chief` supervises `staff1`, `staff2`)."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from tortoise import connections

from kinerja_saas.auth.actor import Actor
from kinerja_saas.auth.roles import Role
from kinerja_saas.training import admin, rules
from kinerja_saas.training.models import Competency, TrainingMode
from tenants.context import tenant_transaction

_nips = itertools.count(1)
SOON = date.today() + timedelta(days=30)


def admin_actor(region: Any) -> Actor:
    return Actor(
        user_id=region.accounts[Role.REGION_ADMIN].id,
        tenant_id=region.id,
        roles=frozenset({Role.REGION_ADMIN}),
        email="admin@test",
        employee_id=region.employees["head"].id,
    )


@dataclass
class Catalogue:
    unit_id: int
    other_unit_id: int
    waktu: int  # programme for MJ-WAKTU (PREDIKAT SANGAT_KURANG/BUTUH_PERBAIKAN, WAKTU)
    pelayanan: int  # programme for SK-PELAYANAN (BERORIENTASI_PELAYANAN), other unit
    masalah: int  # programme for MJ-MASALAH (KURANG, ADAPTIF)
    batch_ids: dict[str, list[int]]
    competencies: dict[str, int]


async def build_catalogue(region: Any, *, capacity: int = 2, batches: int = 1) -> Catalogue:
    """Two training units (the officer belongs to the first), three programmes of
    `capacity` seats per batch with `batches` upcoming batches each."""
    actor = admin_actor(region)
    async with tenant_transaction(region.id):
        comps = dict(await Competency.filter(tenant_id=region.id).values_list("code", "id"))
        unit = await admin.save_unit(
            actor=actor, unit_id=None, name="BPSDM Provinsi", email="diklat@bpsdm.go.id"
        )
        other = await admin.save_unit(
            actor=actor, unit_id=None, name="Lembaga Mitra", email="mitra@example.id"
        )
        await admin.set_officer(
            actor=actor, user_id=region.accounts[Role.TRAINING_OFFICER].id, training_unit_id=unit.id
        )
        ids, batch_ids = {}, {}
        for key, title, unit_id, codes in (
            ("waktu", "Manajemen Waktu", unit.id, ["MJ-WAKTU"]),
            ("pelayanan", "Pelayanan Prima", other.id, ["SK-PELAYANAN"]),
            ("masalah", "Pemecahan Masalah", unit.id, ["MJ-MASALAH", "MJ-KEPUTUSAN"]),
        ):
            programme = await admin.save_programme(
                actor=actor,
                programme_id=None,
                data=admin.ProgrammeData(
                    training_unit_id=unit_id,
                    title=title,
                    mode=TrainingMode.KLASIKAL,
                    jp_hours=12,
                    capacity=capacity,
                    competency_ids=[comps[c] for c in codes],
                    is_open=True,
                ),
            )
            ids[key] = programme.id
            batch_ids[key] = []
            for n in range(batches):
                batch = await admin.create_batch(
                    actor=actor,
                    programme_id=programme.id,
                    name=f"Angkatan {n + 1}",
                    starts_on=SOON + timedelta(days=10 * n),
                    ends_on=SOON + timedelta(days=10 * n + 2),
                )
                batch_ids[key].append(batch.id)
    return Catalogue(
        unit.id, other.id, ids["waktu"], ids["pelayanan"], ids["masalah"], batch_ids, comps
    )


REPORTS = """
WITH new AS (
    INSERT INTO employees (tenant_id, nip, name, position, position_type, golongan, unit_id,
        supervisor_id, is_active, created_at, updated_at)
    SELECT $1, '4' || lpad(($4 * 100000 + n)::text, 17, '0'), 'Peserta ' || n, 'Staf',
        'PELAKSANA', 'II/a', $2, $3, true, now(), now()
    FROM generate_series(1, $5::int) AS n
    RETURNING id
), plans_new AS (
    INSERT INTO plans (tenant_id, period_id, employee_id, unit_id, evaluator_id, status,
        revision, created_at, updated_at)
    SELECT $1, $6, id, $2, $3, 'APPROVED', 0, now(), now() FROM new
    RETURNING id, employee_id
)
INSERT INTO evaluations (tenant_id, plan_id, period_id, employee_id, status,
    behaviour_ratings, result_rating, behaviour_rating, predikat, finalised_at, created_at,
    updated_at)
SELECT $1, p.id, $6, p.employee_id, 'FINALISED', $8::jsonb, 'SESUAI_EKSPEKTASI',
    'SESUAI_EKSPEKTASI', $7, now(), now(), now()
FROM plans_new p
RETURNING id, employee_id
"""


async def finalised_reports(
    region: Any, *, count: int, predikat: str = "SANGAT_KURANG", weak_values: tuple = ()
) -> list[dict]:
    """`count` new reports of chief, each with a finalised annual evaluation; returns
    [{id: evaluation id, employee_id}]."""
    ratings = {v: {"rating": "DI_BAWAH_EKSPEKTASI", "note": ""} for v in weak_values}
    async with tenant_transaction(region.id):
        return await connections.get("default").execute_query_dict(
            REPORTS,
            [
                region.id,
                region.units["a"].id,
                region.employees["chief"].id,
                next(_nips) * 10 + region.id % 10,
                count,
                region.period.id,
                predikat,
                json.dumps(ratings),
            ],
        )


async def fill_training_tables(region: Any) -> None:
    """A row in every training table of the region (for the isolation tests), with the
    fixture's own people: a manual assignment of staff2, and one of staff1 completed (the
    read models' rows: JP per year, an effectiveness pair)."""
    from decimal import Decimal

    from kinerja_saas.training.participants import assign_manually, complete

    cat = await build_catalogue(region)
    async with tenant_transaction(region.id):
        await assign_manually(
            actor=admin_actor(region),
            employee_id=region.employees["staff2"].id,
            programme_id=cat.waktu,
            period_id=region.period.id,
        )
        done = await assign_manually(
            actor=admin_actor(region),
            employee_id=region.employees["staff1"].id,
            programme_id=cat.masalah,
            period_id=region.period.id,
        )
        await complete(
            actor=admin_actor(region),
            assignment_id=done.assignment.id,
            score=Decimal(90),
            certificate_ref=None,
            today=date.today() + timedelta(days=3650),
        )


async def batches_held(region: Any, batch_ids: list[int], *, days_ago: int = 1) -> None:
    """Time passes: the batches took place (their dates move into the past, ending
    `days_ago` days ago), so attendance and completion are allowed (training/rules)."""
    from kinerja_saas.training.models import TrainingBatch

    ends = date.today() - timedelta(days=days_ago)
    async with tenant_transaction(region.id):
        await TrainingBatch.filter(tenant_id=region.id, id__in=batch_ids).update(
            starts_on=ends - timedelta(days=2), ends_on=ends
        )


# main's trainingEffectiveness before the read models: two lateral look-ups into the
# evaluations per completed assignment ($1 the region, $2 the period). The reference the
# read-model tests and bench.training_views compare the read model with.
LIVE_PAIRS = """
SELECT a.id, p.id AS programme_id, p.title AS programme_title, t.id AS training_unit_id,
    t.name AS training_unit_name, b.predikat AS before_predikat,
    b.achievement AS before_achievement, n.predikat AS after_predikat,
    n.achievement AS after_achievement
FROM training_assignments a
JOIN training_programmes p ON p.tenant_id = $1 AND p.id = a.programme_id
JOIN training_units t ON t.tenant_id = $1 AND t.id = p.training_unit_id
LEFT JOIN LATERAL (
    SELECT e.id, e.predikat, e.achievement FROM evaluations e
    WHERE e.tenant_id = $1 AND e.employee_id = a.employee_id AND e.status = 'FINALISED'
        AND (e.id = a.evaluation_id OR (a.evaluation_id IS NULL AND e.period_id = a.period_id))
    ORDER BY (e.id = a.evaluation_id) IS TRUE DESC, (e.checkpoint_id IS NULL) DESC,
        e.finalised_at DESC LIMIT 1) b ON true
LEFT JOIN LATERAL (
    SELECT e.predikat, e.achievement FROM evaluations e
    WHERE e.tenant_id = $1 AND e.employee_id = a.employee_id AND e.status = 'FINALISED'
        AND e.finalised_at > a.completed_at AND e.id IS DISTINCT FROM b.id
    ORDER BY e.finalised_at, e.id LIMIT 1) n ON true
WHERE a.tenant_id = $1 AND a.period_id = $2 AND a.status = 'COMPLETED'
ORDER BY a.id
"""


def live_effect(members: list[Any]) -> rules.Effect:
    """main's figures of one group of `LIVE_PAIRS` rows, as the service computed them in
    Python before the read models (pairs without an evaluation after count as completed)."""
    return rules.effect(
        (
            (
                r["before_predikat"],
                r["after_predikat"],
                r["before_achievement"],
                r["after_achievement"],
            )
            for r in members
            if r["after_predikat"] is not None
        ),
        completed=len(members),
    )
