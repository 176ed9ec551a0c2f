"""Builders for TPP rows, on the fixture region of tests/conftest.build_region."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from kinerja_saas.auth.roles import Role
from kinerja_saas.tpp import service
from kinerja_saas.tpp.rules import DEFAULTS
from tenants.context import tenant_transaction


async def fill_tpp_tables(region: Any) -> None:
    """A row in every TPP table: a rule set, a base amount, a month's attendance, the
    month computed and closed."""
    admin = region.actor(Role.REGION_ADMIN)
    month = date.today().strftime("%Y-%m")
    nip = region.employees["staff1"].nip
    async with tenant_transaction(region.id):
        await service.save_rule_set(actor=admin, effective_month=month, rules=DEFAULTS)
        await service.set_base_amounts(actor=admin, items=[service.BaseAmount(nip, 1_000_000)])
        await service.import_attendance(
            actor=admin,
            month=month,
            binary=io.BytesIO(
                f"nip,bulan,alpa,tl1,tl2,tl3,tl4,psw1,psw2,psw3,psw4,cuti\n"
                f"{nip},{month},1,0,0,0,0,0,0,0,0,0\n".encode()
            ),
            max_bytes=10_000,
        )
        await service.compute_month(month=date.today().replace(day=1))
        await service.close_month(actor=admin, month=month)
