"""The fan-out: each kind reaches exactly its recipients, with its texts rendered in
Bahasa Indonesia, and exactly once per (event, recipient, channel) under re-runs, concurrent
workers and a worker killed half-way."""

import asyncio
from decimal import Decimal

import pytest

from kinerja_saas.auth.models import UserAccount
from kinerja_saas.auth.roles import Role
from kinerja_saas.notifications import fanout
from kinerja_saas.notifications.kinds import BY_NAME, KINDS
from kinerja_saas.notifications.models import Delivery, Notification
from kinerja_saas.performance import plans, realisations
from kinerja_saas.performance.models import Indicator, PeriodStatus
from tenants.context import tenant_transaction
from tests.factories import advance, approved_plan, first_checkpoint, person, plan_results
from tests.notifications.helpers import (
    emailed_roles,
    emit_event,
    fan_out,
    inbox,
    notified_roles,
    queue,
)
from tests.workers.test_jobs import drain, relay_all
from workers.routing import ROUTES, kind_of

ADMIN, SUPERVISOR, EMPLOYEE, OFFICER = (
    Role.REGION_ADMIN,
    Role.SUPERVISOR,
    Role.EMPLOYEE,
    Role.TRAINING_OFFICER,
)


@pytest.fixture
async def pool(settings, redis):
    pool = await queue(settings)
    yield pool
    await pool.aclose()


def test_every_kind_has_a_distinct_topic_and_complete_texts():
    topics = [t for t in ROUTES if kind_of(t) is not None]
    assert len({kind_of(t).name for t in topics}) == len(topics) == len(KINDS) == len(BY_NAME)
    for kind in KINDS:
        assert kind.title and kind.body and kind.recipients
        assert kind.in_app or kind.email


async def test_a_submitted_plan_reaches_its_evaluator_through_relay_and_worker(
    settings, region_a, pool
):
    staff = person(region_a, "staff1")
    async with tenant_transaction(region_a.id):
        plan = await plans.save_plan(
            actor=staff, period_id=region_a.period.id, results=plan_results()
        )
        await plans.submit_plan(actor=staff, plan_id=plan.id)
    await relay_all(pool, settings)
    await drain(settings)

    # (and PERIOD_OPENED, from the fixture's period)
    (note,) = [n for n in await inbox(region_a, SUPERVISOR) if n.kind == "PLAN_SUBMITTED"]
    staff_name = region_a.employees["staff1"].name
    assert note.kind == "PLAN_SUBMITTED"
    assert note.title == f"SKP {staff_name} menunggu persetujuan Anda"
    assert note.body.startswith(f"{staff_name} telah mengajukan rencana SKP.")
    assert note.link == f"/skp/{plan.id}"
    assert await notified_roles(region_a, note.event_id) == {SUPERVISOR}
    # the worker also ran the `send_emails` job the fan-out enqueued (the dev mailbox)
    assert await emailed_roles(region_a, note.event_id) == {SUPERVISOR: "SENT"}
    async with tenant_transaction(region_a.id):
        (mail,) = await Delivery.filter(event_id=note.event_id, channel="EMAIL")
    assert mail.payload == {"subject": note.title, "body": note.body, "link": note.link}


def _employee(region, key):
    return region.employees[key].id


# topic, payload from the region, who gets it in-app, who by e-mail
CASES = [
    (
        "performance.plan_submitted",
        lambda r: {"plan_id": 1, "employee_id": _employee(r, "chief"), "evaluator_id": None},
        {ADMIN},  # the head of the tree has no supervisor: the region admin approves
        {ADMIN},
    ),
    (
        "performance.plan_approved",
        lambda r: {"plan_id": 1, "employee_id": _employee(r, "staff1")},
        {EMPLOYEE},
        {EMPLOYEE},
    ),
    (
        "performance.evaluation_appealed",
        lambda r: {
            "evaluation_id": 1,
            "employee_id": _employee(r, "staff1"),
            "reviewer_id": _employee(r, "head"),
        },
        {ADMIN},
        {ADMIN},
    ),
    (
        "performance.evaluation_appealed",  # the region decides appeals at the top: its admins
        lambda r: {
            "evaluation_id": 1,
            "employee_id": _employee(r, "chief"),
            "reviewer_id": None,
            "decider": "REGION_ADMIN",
        },
        {ADMIN},
        {ADMIN},
    ),
    (
        "performance.evaluation_appealed",  # a Tim Penilai appeal with no Tim yet: nobody
        lambda r: {
            "evaluation_id": 1,
            "employee_id": _employee(r, "chief"),
            "reviewer_id": None,
            "decider": "TIM_PENILAI",
        },
        set(),
        set(),
    ),
    (
        "org.acting_appointed",
        lambda r: {
            "employee_id": _employee(r, "chief"),
            "jabatan": "Plh. Kepala Bidang B",
            "periode": "1 Desember 2026 sampai 5 Desember 2026",
        },
        {SUPERVISOR},
        {SUPERVISOR},
    ),
    (
        "org.acting_ends_changed",
        lambda r: {
            "employee_id": _employee(r, "chief"),
            "jabatan": "Plh. Kepala Bidang B",
            "periode": "1 Desember 2026 sampai 3 Desember 2026",
        },
        {SUPERVISOR},
        {SUPERVISOR},
    ),
    (
        "performance.dialog_note_added",
        lambda r: {
            "plan_id": 1,
            "author_employee_id": _employee(r, "staff1"),
            "recipient_employee_id": _employee(r, "chief"),
        },
        {SUPERVISOR},
        set(),  # in-app only by default
    ),
    (
        "performance.period_opened",
        lambda r: {"period_id": r.period.id, "year": 2030},
        {ADMIN, SUPERVISOR, EMPLOYEE, OFFICER},
        set(),
    ),
    (
        "org.import.finished",
        lambda r: {"job_id": 1, "status": "SUCCEEDED", "created_by": r.accounts[ADMIN].id},
        {ADMIN},
        {ADMIN},
    ),
    (
        "performance.consequence_recorded",
        lambda r: {"employee_id": _employee(r, "other"), "type": "PIAGAM_PENGHARGAAN"},
        {OFFICER},
        {OFFICER},
    ),
    (
        "performance.plan_approved",  # staff2 has no login: nobody
        lambda r: {"plan_id": 1, "employee_id": _employee(r, "staff2")},
        set(),
        set(),
    ),
]


@pytest.mark.parametrize(("topic", "payload", "in_app", "email"), CASES)
async def test_each_kind_reaches_exactly_its_recipients(
    region_a, region_b, pool, topic, payload, in_app, email
):
    event = await emit_event(region_a, topic, payload(region_a))
    await fan_out(pool, region_a, event)
    assert await notified_roles(region_a, event.id) == in_app
    assert set(await emailed_roles(region_a, event.id)) == email
    async with tenant_transaction(region_b.id):  # the other region got nothing
        assert not await Notification.filter(event_id=event.id).exists()


async def test_texts_are_rendered_in_bahasa_indonesia(region_a, pool):
    event = await emit_event(
        region_a,
        "performance.consequence_recorded",
        {"employee_id": _employee(region_a, "other"), "type": "RENCANA_PERBAIKAN_KINERJA"},
    )
    await fan_out(pool, region_a, event)
    (note,) = await inbox(region_a, OFFICER)
    assert note.title == "Tindak lanjut kinerja: Rencana Perbaikan Kinerja"
    event = await emit_event(
        region_a,
        "performance.checkpoint_deadline_near",
        {"period_id": 0, "checkpoint_id": 0, "label": "Triwulan I", "deadline": "2026-04-10"},
    )
    assert (await fan_out(pool, region_a, event))["recipients"] == 0  # no such period


async def test_a_tim_penilai_appeal_reaches_the_tims_members_and_acting_texts_read_well(
    region_a, pool
):
    from kinerja_saas.performance import appeals

    async with tenant_transaction(region_a.id):
        await appeals.appoint_team_member(
            actor=region_a.actor(ADMIN), employee_id=_employee(region_a, "other")
        )
    event = await emit_event(
        region_a,
        "performance.evaluation_appealed",
        {
            "evaluation_id": 1,
            "employee_id": _employee(region_a, "chief"),
            "reviewer_id": None,
            "decider": "TIM_PENILAI",
        },
    )
    await fan_out(pool, region_a, event)
    assert await notified_roles(region_a, event.id) == {OFFICER}  # other's login
    event = await emit_event(
        region_a,
        "org.acting_appointed",
        {
            "employee_id": _employee(region_a, "other"),
            "jabatan": "Plt. Kepala Bidang A",
            "periode": "1 Desember 2026 sampai 31 Desember 2026",
        },
    )
    await fan_out(pool, region_a, event)
    (note,) = [n for n in await inbox(region_a, OFFICER) if n.kind == "ACTING_APPOINTED"]
    assert note.title == "Penunjukan sebagai Plt. Kepala Bidang A"
    assert "Anda ditunjuk sebagai Plt. Kepala Bidang A untuk 1 Desember 2026 sampai" in note.body
    event = await emit_event(
        region_a,
        "org.acting_ends_changed",
        {
            "employee_id": _employee(region_a, "other"),
            "jabatan": "Plt. Kepala Bidang A",
            "periode": "1 Desember 2026 sampai 15 Desember 2026",
        },
    )
    await fan_out(pool, region_a, event)
    (note,) = [n for n in await inbox(region_a, OFFICER) if n.kind == "ACTING_ENDS_CHANGED"]
    assert note.title == "Perubahan masa tugas sebagai Plt. Kepala Bidang A"
    assert (
        "Masa tugas Anda sebagai Plt. Kepala Bidang A diubah menjadi 1 Desember 2026 sampai "
        "15 Desember 2026." in note.body
    )


async def test_a_submitted_plan_also_reaches_the_acting_head_while_they_act(region_a, pool):
    """other (the training officer's login) is Plh. of Bidang A, whose head chief evaluates
    staff1: both are told; with the appointment over, only chief."""
    from datetime import timedelta

    from kinerja_saas.org import acting
    from kinerja_saas.org.models import ActingAppointment, ActingKind

    async with tenant_transaction(region_a.id):
        today = await acting.region_today()
        appointment = await acting.appoint(
            actor=region_a.actor(ADMIN),
            unit_id=region_a.units["a"].id,
            employee_id=_employee(region_a, "other"),
            kind=ActingKind.PLH,
            starts_on=today,
            ends_on=today,
        )
    payload = {
        "plan_id": 1,
        "employee_id": _employee(region_a, "staff1"),
        "evaluator_id": _employee(region_a, "chief"),
    }
    event = await emit_event(region_a, "performance.plan_submitted", payload)
    await fan_out(pool, region_a, event)
    assert await notified_roles(region_a, event.id) == {SUPERVISOR, OFFICER}
    async with tenant_transaction(region_a.id):
        await ActingAppointment.filter(tenant_id=region_a.id, id=appointment.id).update(
            starts_on=today - timedelta(days=5), ends_on=today - timedelta(days=1)
        )
    event = await emit_event(region_a, "performance.plan_submitted", payload)
    await fan_out(pool, region_a, event)
    assert await notified_roles(region_a, event.id) == {SUPERVISOR}


async def test_activation_goes_by_email_only_to_logins_without_a_password(region_a, pool):
    async with tenant_transaction(region_a.id):
        new = await UserAccount.create(
            tenant_id=region_a.id, email="baru@uji.test", name="Pegawai Baru", roles=["EMPLOYEE"]
        )
    event = await emit_event(
        region_a,
        "auth.activation_requested",
        {"user_ids": [new.id, region_a.accounts[EMPLOYEE].id]},  # the second is activated
    )
    await fan_out(pool, region_a, event)
    async with tenant_transaction(region_a.id):
        assert not await Notification.filter(event_id=event.id).exists()
        (mail,) = await Delivery.filter(event_id=event.id)
    assert mail.user_id == new.id
    assert "Yth. Pegawai Baru" in mail.payload["body"]
    assert "{activation_link}" in mail.payload["body"]  # made when sent, never stored


async def test_deadline_near_reaches_those_with_missing_realisations(region_a, pool):
    """staff1 has an approved plan with nothing entered; chief's has everything entered."""
    await approved_plan(region_a, "staff1")
    chief_plan = await approved_plan(region_a, "chief", evaluator="head")
    await advance(region_a, PeriodStatus.ACTIVE)
    checkpoint = await first_checkpoint(region_a)
    async with tenant_transaction(region_a.id):
        for indicator in await Indicator.filter(plan_id=chief_plan.id):
            await realisations.record_realisation(
                actor=person(region_a, "chief"),
                indicator_id=indicator.id,
                checkpoint_id=checkpoint.id,
                value=Decimal(3),
                note=None,
                evidence=[],
            )
    event = await emit_event(
        region_a,
        "performance.checkpoint_deadline_near",
        {
            "period_id": region_a.period.id,
            "checkpoint_id": checkpoint.id,
            "label": checkpoint.label,
            "deadline": checkpoint.deadline.isoformat(),
            "days_left": 2,
        },
    )
    await fan_out(pool, region_a, event)
    assert await notified_roles(region_a, event.id) == {EMPLOYEE}
    (note,) = await inbox(region_a, EMPLOYEE)
    months = ["April", "Juli", "Oktober", "Januari"]
    assert note.title == (
        f"Batas pengisian realisasi {checkpoint.label}: {checkpoint.deadline.day} "
        f"{months[0]} {checkpoint.deadline.year}"
    )
    assert "Masih ada 3 indikator" in note.body and "Tinggal 2 hari lagi" in note.body


async def test_a_rerun_adds_nothing(region_a, pool):
    event = await emit_event(region_a, "performance.period_opened", {"year": 2030})
    first = await fan_out(pool, region_a, event)
    again = await fan_out(pool, region_a, event)
    assert (first["recipients"], first["notified"]) == (4, 4)
    assert (again["recipients"], again["notified"]) == (4, 0)
    async with tenant_transaction(region_a.id):
        assert await Notification.filter(event_id=event.id).count() == 4


async def test_two_concurrent_workers_store_each_notification_once(region_a, pool):
    event = await emit_event(
        region_a,
        "performance.plan_approved",
        {"plan_id": 1, "employee_id": _employee(region_a, "staff1")},
    )
    results = await asyncio.gather(*(fan_out(pool, region_a, event) for _ in range(4)))
    assert sum(r["notified"] for r in results) == 1
    async with tenant_transaction(region_a.id):
        assert await Notification.filter(event_id=event.id).count() == 1
        assert await Delivery.filter(event_id=event.id).count() == 1


async def test_a_worker_killed_half_way_loses_and_duplicates_nothing(settings, region_a, pool):
    event = await emit_event(region_a, "performance.period_opened", {"year": 2030})
    kind = kind_of(event.topic)
    # The first chunk committed; the process died inside the second one (rolled back).
    async with tenant_transaction(region_a.id):
        done = await fanout.fan_out_chunk(
            kind=kind, event_id=event.id, payload=event.payload, after_user_id=0, batch_size=3
        )
    with pytest.raises(RuntimeError):
        async with tenant_transaction(region_a.id):
            await fanout.fan_out_chunk(
                kind=kind,
                event_id=event.id,
                payload=event.payload,
                after_user_id=done.last_user_id,
                batch_size=3,
            )
            raise RuntimeError("killed")
    async with tenant_transaction(region_a.id):
        assert await Notification.filter(event_id=event.id).count() == 3
    # arq runs the job again from the start.
    rerun = await fan_out(
        pool, region_a, event, settings.model_copy(update={"notification_batch_size": 3})
    )
    assert (rerun["recipients"], rerun["notified"]) == (4, 1)
    async with tenant_transaction(region_a.id):
        users = await Notification.filter(event_id=event.id).values_list("user_id", flat=True)
    assert sorted(users) == sorted(a.id for a in region_a.accounts.values())


async def test_the_whole_cycle_notifies_the_right_people_from_the_real_events(region_a, pool):
    """The payloads the performance services really emit match the kinds' recipients."""
    from collections import Counter

    from tests.factories import full_cycle
    from tests.notifications.helpers import fan_out_region

    await full_cycle(region_a)
    await fan_out_region(pool, region_a)
    got = Counter()
    for role in (ADMIN, SUPERVISOR, EMPLOYEE, OFFICER):
        for note in await inbox(region_a, role):
            got[(note.kind, role)] += 1
    assert got == Counter(
        {
            ("PERIOD_OPENED", ADMIN): 1,
            ("PERIOD_OPENED", SUPERVISOR): 1,
            ("PERIOD_OPENED", EMPLOYEE): 1,
            ("PERIOD_OPENED", OFFICER): 1,
            ("PLAN_SUBMITTED", SUPERVISOR): 2,  # first, and after the revision
            ("PLAN_APPROVED", EMPLOYEE): 2,
            ("DIALOG_NOTE", EMPLOYEE): 1,  # the supervisor wrote
            ("REALISATION_REJECTED", EMPLOYEE): 1,
            ("EVALUATION_FINALISED", EMPLOYEE): 2,  # and again after the appeal
            ("EVALUATION_APPEALED", ADMIN): 1,  # the evaluator's supervisor (head)
            ("CONSEQUENCE_RECORDED", EMPLOYEE): 1,
        }
    )
    (rejected,) = [n for n in await inbox(region_a, EMPLOYEE) if n.kind == "REALISATION_REJECTED"]
    assert rejected.title == "Realisasi ditolak: Rata-rata waktu penyelesaian"
    assert "Alasan: Bukti kurang." in rejected.body
    (final, _) = [n for n in await inbox(region_a, EMPLOYEE) if n.kind == "EVALUATION_FINALISED"]
    assert final.body.startswith("Predikat kinerja Anda: Baik.")


async def test_a_rerun_enqueues_webhook_deliveries_a_dead_run_left_without_a_job(region_a, pool):
    """The first run stored the delivery and died before enqueueing its job."""
    from arq.jobs import Job, JobStatus

    from kinerja_saas.notifications.models import WebhookEndpoint

    async with tenant_transaction(region_a.id):
        await WebhookEndpoint.create(
            tenant_id=region_a.id, name="SIMPEG", url="http://127.0.0.1:9/hook", secret="s"
        )
    event = await emit_event(region_a, "performance.period_opened", {"year": 2031})
    kind = kind_of(event.topic)
    async with tenant_transaction(region_a.id):
        (delivery_id,) = await fanout.queue_webhooks(
            kind=kind, event_id=event.id, topic=event.topic, payload=event.payload
        )
    assert await Job(f"webhook:{delivery_id}:1", pool).status() is JobStatus.not_found
    assert (await fan_out(pool, region_a, event))["webhooks"] == 1
    assert await Job(f"webhook:{delivery_id}:1", pool).status() is JobStatus.queued
