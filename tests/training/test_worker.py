"""assign_training in a real arq worker against the real Redis: from the outbox (one
finalised evaluation), from `assignTrainingForPeriod`, and as jobs run twice at once;
notifications to the supervisor and the unit's officers; unit-scoped webhook endpoints."""

from __future__ import annotations

import pytest
from arq.connections import create_pool

from kinerja_saas.auth.roles import Role
from kinerja_saas.notifications import fanout
from kinerja_saas.notifications.models import Delivery, Notification, WebhookEndpoint
from kinerja_saas.outbox import service as outbox
from kinerja_saas.outbox.models import OutboxEvent
from kinerja_saas.performance.events import EVALUATION_FINALISED
from kinerja_saas.training.models import TrainingAssignment
from tenants.context import tenant_transaction
from tests.training.helpers import build_catalogue, finalised_reports
from tests.workers.test_jobs import drain, relay_all
from workers.queue import redis_settings
from workers.routing import kind_of
from workers.training import schedule_training_assignment


@pytest.fixture
async def arq_redis(settings, redis):
    pool = await create_pool(redis_settings(settings))
    yield pool
    await pool.aclose()


async def _assignments(region) -> list[TrainingAssignment]:
    async with tenant_transaction(region.id):
        return await TrainingAssignment.filter(tenant_id=region.id).order_by("id")


def _finalised(region, evaluation: dict) -> dict:
    return {
        "evaluation_id": evaluation["id"],
        "period_id": region.period.id,
        "employee_id": evaluation["employee_id"],
        "predikat": "SANGAT_KURANG",
        "low_performer": True,
    }


async def test_the_same_evaluation_event_twice_assigns_once(settings, arq_redis, region_a):
    cat = await build_catalogue(region_a)
    evaluations = await finalised_reports(region_a, count=2)
    payload = _finalised(region_a, evaluations[0])
    async with tenant_transaction(region_a.id):
        first = await outbox.emit(EVALUATION_FINALISED, payload)
        await outbox.emit(EVALUATION_FINALISED, payload)
    await relay_all(arq_redis, settings)
    await drain(settings)
    rows = await _assignments(region_a)
    assert [(r.employee_id, r.programme_id) for r in rows] == [
        (evaluations[0]["employee_id"], cat.waktu)
    ]
    # a redelivered job of the first event runs no handler again
    await arq_redis.enqueue_job(
        "dispatch_event",
        region_a.id,
        event_id=first.id,
        topic=first.topic,
        payload=payload,
        _job_id=f"redelivery:{first.id}",
    )
    await relay_all(arq_redis, settings)
    await drain(settings)
    assert len(await _assignments(region_a)) == 1
    # the supervisor and the unit's officer were told, by the fan-out of the new events
    async with tenant_transaction(region_a.id):
        kinds = {
            (n.user_id, n.kind)
            for n in await Notification.filter(tenant_id=region_a.id, kind__startswith="TRAINING")
        }
        officer_note = await Notification.get(tenant_id=region_a.id, kind="TRAINING_UNIT_ASSIGNED")
    assert kinds == {
        (region_a.accounts[Role.SUPERVISOR].id, "TRAINING_TEAM_ASSIGNED"),
        (region_a.accounts[Role.TRAINING_OFFICER].id, "TRAINING_UNIT_ASSIGNED"),
    }
    assert officer_note.title == "1 peserta baru untuk BPSDM Provinsi"


async def test_period_request_and_jobs_run_twice_at_once(api, settings, arq_redis, region_a):
    await build_catalogue(region_a, capacity=3)
    await finalised_reports(region_a, count=5, predikat="KURANG")
    r = await api.as_role(
        region_a,
        Role.REGION_ADMIN,
        "mutation($p: ID!) { assignTrainingForPeriod(periodId: $p) { ok } }",
        {"p": str(region_a.period.id)},
    )
    assert r.data["assignTrainingForPeriod"]["ok"] is True
    await relay_all(arq_redis, settings)
    await drain(settings)
    rows = await _assignments(region_a)
    assert len(rows) == 5 and sum(1 for r in rows if r.batch_id) == 3
    await finalised_reports(region_a, count=2, predikat="KURANG")
    for n in range(3):  # three runs of the batch job, at once in one worker
        await arq_redis.enqueue_job(
            "assign_training",
            region_a.id,
            period_id=region_a.period.id,
            _job_id=f"t{region_a.id}-{n}",
        )
    await drain(settings)
    rows = await _assignments(region_a)
    assert len(rows) == 7
    assert sorted(r.waiting_position for r in rows if r.waiting_position) == [1, 2, 3, 4]
    assert await schedule_training_assignment({"redis": arq_redis}) >= 1


async def test_webhook_endpoint_of_a_unit_receives_only_its_units_events(api, region_a):
    cat = await build_catalogue(region_a)
    async with tenant_transaction(region_a.id):
        mine = await WebhookEndpoint.create(
            tenant_id=region_a.id, name="SIDIKLAT", url="https://diklat.example/hook", secret="s"
        )
    tie = """mutation($e: ID!, $u: ID) { setWebhookEndpointTrainingUnit(endpointId: $e,
        trainingUnitId: $u) { ok errors { field code } } }"""
    r = await api.as_role(region_a, Role.REGION_ADMIN, tie, {"e": str(mine.id), "u": "77777777"})
    assert r.data["setWebhookEndpointTrainingUnit"]["errors"] == [
        {"field": "trainingUnitId", "code": "NOT_FOUND"}
    ]
    r = await api.as_role(
        region_a, Role.REGION_ADMIN, tie, {"e": str(mine.id), "u": str(cat.unit_id)}
    )
    assert r.data["setWebhookEndpointTrainingUnit"]["ok"] is True
    async with tenant_transaction(region_a.id):
        theirs = await WebhookEndpoint.create(
            tenant_id=region_a.id,
            name="Mitra",
            url="https://mitra.example/hook",
            secret="s",
            training_unit_id=cat.other_unit_id,
        )
        region = await WebhookEndpoint.create(
            tenant_id=region_a.id, name="SIMPEG", url="https://simpeg.example/hook", secret="s"
        )
        queued = {}
        for topic, payload in (
            ("training.unit_assigned", {"training_unit_id": cat.unit_id, "jumlah": 1}),
            ("performance.plan_approved", {"plan_id": 1, "employee_id": 1}),
        ):
            event = await OutboxEvent.create(tenant_id=region_a.id, topic=topic, payload=payload)
            await fanout.queue_webhooks(
                kind=kind_of(topic), event_id=event.id, topic=topic, payload=payload
            )
            queued[topic] = set(
                await Delivery.filter(tenant_id=region_a.id, event_id=event.id).values_list(
                    "endpoint_id", flat=True
                )
            )
    assert queued["training.unit_assigned"] == {mine.id, region.id}
    assert theirs.id not in queued["training.unit_assigned"]
    assert queued["performance.plan_approved"] == {region.id}


async def test_finalising_a_low_evaluation_assigns_training_end_to_end(
    settings, arq_redis, region_a
):
    """Through the performance services: a finalised SANGAT_KURANG evaluation of staff1 →
    the relay → the handler → an assignment, and staff1's notification in Bahasa Indonesia."""
    from kinerja_saas.notifications.models import Notification
    from kinerja_saas.performance.models import PeriodStatus
    from kinerja_saas.performance.rules import Rating
    from tests.factories import advance, approved_plan, finalised_evaluation

    cat = await build_catalogue(region_a)
    plan = await approved_plan(region_a)
    await advance(region_a, PeriodStatus.ACTIVE)
    await advance(region_a, PeriodStatus.EVALUATING)
    evaluation = await finalised_evaluation(region_a, plan.id, rating=Rating.DI_BAWAH_EKSPEKTASI)
    await relay_all(arq_redis, settings)
    await drain(settings)
    await relay_all(arq_redis, settings)  # the assignment's own events
    await drain(settings)
    rows = await _assignments(region_a)
    staff1 = region_a.employees["staff1"].id
    assert {(r.employee_id, r.evaluation_id, r.predikat) for r in rows} == {
        (staff1, evaluation.id, "SANGAT_KURANG")
    }
    assert cat.waktu in {r.programme_id for r in rows}
    async with tenant_transaction(region_a.id):
        note = await Notification.get(
            tenant_id=region_a.id,
            user_id=region_a.accounts[Role.EMPLOYEE].id,
            kind="TRAINING_ASSIGNED",
            title="Penugasan pelatihan: Manajemen Waktu",
        )
    assert note.body.startswith("Anda ditugaskan mengikuti pelatihan Manajemen Waktu (12 JP).")
    assert "Angkatan 1" in note.body
