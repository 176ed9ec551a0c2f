"""The seeded world of the security tests: regions A and B with one of everything (a full
performance cycle, notifications, webhooks, surveys, training), spare objects that
destructive mutations may use up, and a sacrificial region C for suspendRegion.

`ids[kind]` names one object of each kind per region, so a cell can aim a field at region
A's objects (its own) or region B's (another region's)."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import asyncpg

from kinerja_saas.auth.models import UserAccount
from kinerja_saas.auth.roles import Role
from kinerja_saas.database import owner_connection_params
from kinerja_saas.documents import service as documents
from kinerja_saas.documents.rules import DocumentKind
from kinerja_saas.org import acting, importing
from kinerja_saas.org import service as org
from kinerja_saas.org.models import ActingKind, PositionType, UnitKind
from kinerja_saas.performance import evaluations
from tenants.context import tenant_transaction
from tests.complaints.helpers import fill_complaint_tables
from tests.factories import Region, build_region, full_cycle, make_nip
from tests.notifications.helpers import fill_notification_tables, webhook_endpoint
from tests.surveys.helpers import fill_survey_tables
from tests.training.helpers import fill_training_tables

# kind -> the table whose first row of the region is that kind's object
FIRST_ROW = {
    "result": "plan_results",
    "notification": "notifications",
    "webhook": "webhook_endpoints",
    "webhook_delivery": "notification_deliveries WHERE channel = 'WEBHOOK' AND",
    "survey_service": "survey_services",
    "programme": "training_programmes",
    "batch": "training_batches",
    "assignment": "training_assignments",
    "training_unit": "training_units",
    "competency": "competencies",
    "rule": "training_rules",
    "complaint": "complaints",
    "national_export": "national_exports",
}


@dataclass
class SeededRegion:
    region: Region
    ids: dict[str, Any] = field(default_factory=dict)
    marker: str = ""  # a string every person and unit name of the region contains

    @property
    def slug(self) -> str:
        return self.region.tenant.slug


@dataclass
class World:
    a: SeededRegion
    b: SeededRegion
    c_id: int  # region C: suspended and reactivated by the matrix's operator cells


async def seed_region(password_hash: str, name: str, settings) -> SeededRegion:
    region = await build_region(password_hash, name=name)
    cycle = await full_cycle(region)
    await fill_notification_tables(region)
    campaign = await fill_survey_tables(region)
    await fill_training_tables(region)
    await fill_complaint_tables(region)
    admin = region.actor(Role.REGION_ADMIN)
    slug = region.tenant.slug
    async with tenant_transaction(region.id):
        spare_unit = await org.create_unit(
            actor=admin, name=f"Spare {slug}", code="SPARE", kind=UnitKind.BIDANG, parent_id=None
        )
        spare = await org.create_employee(
            actor=admin,
            data=org.EmployeeData(
                nip=make_nip(),
                name=f"Spare {slug}",
                position="Staf",
                position_type=PositionType.PELAKSANA,
                golongan="II/a",
                unit_id=spare_unit.id,
                supervisor_id=None,
                email=f"spare@{slug}.test",
            ),
        )
        spare_user = await UserAccount.create(
            tenant_id=region.id,
            email=f"spare@{slug}.test",
            name=f"Spare {slug}",
            password_hash=None,
            roles=[Role.EMPLOYEE.value],
            employee_id=spare.id,
        )
        # An appointment from a month ago to a month ahead: endActingAppointment's cells
        # move its end to today (a Date argument's value) and back is never needed.
        appointment = await acting.appoint(
            actor=admin,
            unit_id=spare_unit.id,
            employee_id=spare.id,
            kind=ActingKind.PLT,
            starts_on=date.today() - timedelta(days=30),
            ends_on=date.today() + timedelta(days=30),
        )
        job = await importing.stage_import(
            actor=admin,
            filename="pegawai.csv",
            binary=io.BytesIO(b"nip,nama,jabatan,unit\n1,A,B,C\n"),
            dry_run=True,
            deactivate_missing=False,
            max_bytes=10_000,
            enqueue=False,
        )
    async with tenant_transaction(region.id):
        # A draft (checkpoint) evaluation with no ratings yet: finalising it is refused
        # for missing ratings, so it stays a draft for every cell.
        draft = await evaluations.save_evaluation(
            actor=region.actor(Role.SUPERVISOR),
            plan_id=cycle.plan_id,
            checkpoint_id=cycle.checkpoint_id,
        )
    async with tenant_transaction(region.id):
        document_job = await documents.request_document(
            actor=region.actor(Role.EMPLOYEE), kind=DocumentKind.SKP, subject_id=cycle.plan_id
        )
    spare_hook, _ = await webhook_endpoint(region, "https://spare.example/hook", name="spare")
    ids: dict[str, Any] = {
        "region": region.id,
        "slug": slug,
        "unit": region.units["a"].id,
        "spare_unit": spare_unit.id,
        "employee": region.employees["staff1"].id,
        "spare_employee": spare.id,
        "spare_user": spare_user.id,
        "acting_appointment": appointment.id,
        "period": region.period.id,
        "checkpoint": cycle.checkpoint_id,
        "plan": cycle.plan_id,
        "indicator": cycle.indicator_ids[0],
        "realisation": cycle.realisation_ids[2],  # neither verified nor rejected
        "evaluation": cycle.evaluation_id,
        "draft_evaluation": draft.id,
        "import_job": job.id,
        "document_job": document_job["id"],
        "spare_webhook": spare_hook.id,
        "campaign": campaign.id,
        "survey_code": campaign.codes["ktp"],
    }
    conn = await asyncpg.connect(**owner_connection_params(settings))
    try:
        for kind, table in FIRST_ROW.items():
            where = table if table.endswith("AND") else f"{table} WHERE"
            ids[kind] = await conn.fetchval(
                f"SELECT min(id) FROM {where} tenant_id = $1", region.id
            )
            assert ids[kind] is not None, f"no {kind} seeded in {name}"
        ids["tracking_code"] = await conn.fetchval(
            "SELECT tracking_code FROM complaints WHERE tenant_id = $1 ORDER BY id LIMIT 1",
            region.id,
        )
    finally:
        await conn.close()
    return SeededRegion(region, ids, marker=slug)


async def seed_world(password_hash: str, settings) -> World:
    a = await seed_region(password_hash, "Kota A", settings)
    b = await seed_region(password_hash, "Kota B", settings)
    c = await build_region(password_hash, name="Kota C")
    return World(a, b, c.id)
