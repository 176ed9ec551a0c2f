"""Builders for documents rows, on the fixture region of tests/conftest.build_region."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from kinerja_saas.auth.roles import Role
from kinerja_saas.documents import service
from kinerja_saas.documents.rules import DocumentKind
from kinerja_saas.documents.storage import FolderStorage
from tenants.context import tenant_transaction


async def fill_document_tables(region: Any) -> None:
    """A document job run to its end (a row in document_jobs and in documents): the
    region's predikat recap, stored in a folder of its own."""
    async with tenant_transaction(region.id):
        job = await service.request_document(
            actor=region.actor(Role.REGION_ADMIN),
            kind=DocumentKind.PREDIKAT_RECAP,
            subject_id=region.period.id,
        )
    storage = FolderStorage(Path(tempfile.mkdtemp()), secret="test", link_seconds=60)
    await service.run_job(
        tenant_id=region.id, job_id=job["id"], storage=storage, public_url="http://test"
    )
