"""Helpers of the issue #18 walks (acting officials, transfers, appeal deciders): logins for
any fixture employee, the region's own today, and the evaluation documents."""

from __future__ import annotations

from typing import Any

from kinerja_saas.auth.models import UserAccount
from kinerja_saas.auth.roles import Role
from kinerja_saas.auth.service import user_actor
from kinerja_saas.auth.tokens import issue_pair
from kinerja_saas.org.acting import region_today
from kinerja_saas.outbox.models import OutboxEvent
from tenants.context import tenant_transaction
from tests.factories import BERAKHLAK


async def login(region: Any, key: str, settings: Any, *roles: Role) -> str:
    """An access token for fixture employee `key` (a login is made for them)."""
    async with tenant_transaction(region.id):
        account = await UserAccount.get_or_none(
            tenant_id=region.id, employee_id=region.employees[key].id
        )
        if account is None:
            account = await UserAccount.create(
                tenant_id=region.id,
                email=f"{key}.login@{region.tenant.slug}.test",
                name=key,
                password_hash="x",
                roles=sorted({Role.EMPLOYEE.value, *(r.value for r in roles)}),
                employee_id=region.employees[key].id,
            )
    return issue_pair(
        user_actor(account),
        token_version=1,
        secret=settings.jwt_secret or "",
        access_ttl=600,
        refresh_ttl=600,
    ).access_token


async def today_of(region: Any):
    async with tenant_transaction(region.id):
        return await region_today()


async def events_of(region: Any, topic: str) -> list[dict]:
    async with tenant_transaction(region.id):
        rows = await OutboxEvent.filter(tenant_id=region.id, topic=topic).order_by("id")
    return [r.payload for r in rows]


def rating_input(plan_id: Any, checkpoint_id: Any = None) -> dict:
    return {
        "planId": str(plan_id),
        "checkpointId": str(checkpoint_id) if checkpoint_id is not None else None,
        "resultRating": "SESUAI_EKSPEKTASI",
        "resultOverrideReason": "Sesuai pengamatan atasan",
        "behaviour": [{"code": c, "rating": "SESUAI_EKSPEKTASI"} for c in BERAKHLAK],
        "feedback": "Pertahankan.",
    }


SAVE = """mutation($input: SaveEvaluationInput!) { saveEvaluation(input: $input) {
  evaluation { id status } errors { field code message } } }"""
FINALISE = """mutation($id: ID!, $note: String) { finaliseEvaluation(id: $id,
  acknowledgeDistribution: true, decisionNote: $note) {
  evaluation { id status signature { employeeId capacity title } }
  errors { field code message } } }"""


async def fill_lifecycle_tables(region: Any) -> None:
    """A row in each table of issue #18's lifecycle: an acting appointment (next year, its end
    then corrected), a position history (staff2's change of jabatan) and a Tim Penilai
    Kinerja member."""
    from datetime import timedelta

    from kinerja_saas.org import acting
    from kinerja_saas.org.models import ActingKind
    from kinerja_saas.performance import appeals, transfers

    admin = region.actor(Role.REGION_ADMIN)
    async with tenant_transaction(region.id):
        today = await region_today()
        appointment = await acting.appoint(
            actor=admin,
            unit_id=region.units["b"].id,
            employee_id=region.employees["staff2"].id,
            kind=ActingKind.PLT,
            starts_on=today + timedelta(days=400),
            ends_on=today + timedelta(days=401),
        )
        # ended a day early (endActingAppointment)
        await acting.change_end(
            actor=admin, appointment_id=appointment.id, ends_on=today + timedelta(days=400)
        )
        # a change of jabatan only: plans stay with the same evaluator
        await transfers.transfer_employee(
            actor=admin,
            employee_id=region.employees["staff2"].id,
            effective_on=today,
            position="Analis Kepegawaian",
        )
        await appeals.appoint_team_member(actor=admin, employee_id=region.employees["other"].id)
