"""Complaint fixtures: services with survey codes (the survey's own campaign), complaints
through the public API, and a row in every complaints table (isolation tests)."""

from __future__ import annotations

import itertools
from typing import Any

from kinerja_saas.auth.roles import Role
from kinerja_saas.complaints import public
from kinerja_saas.exports import service as exports
from kinerja_saas.exports.rules import ExportFormat, ExportKind
from tenants.context import tenant_transaction
from tests.conftest import TODAY
from tests.surveys.helpers import Campaign, open_campaign

_tokens = itertools.count(1)

FORM = """query($code: String!) { complaintForm(code: $code) { regionName serviceName unitName
  categories { category label } textMaxLength contactMaxLength answerDueWorkingDays laporUrl
  isOpen } }"""
SUBMIT = """mutation($code: String!, $category: ComplaintCategory!, $text: String!,
  $token: String!, $contact: String) {
  submitComplaint(code: $code, category: $category, text: $text, clientToken: $token,
    contact: $contact) { trackingCode dueOn dueOnText replayed errors { field code message } } }"""
STATUS = """query($t: String!) { complaintStatus(trackingCode: $t) { trackingCode status
  statusLabel category categoryLabel regionName serviceName unitName receivedOn dueOn dueOnText
  answer answeredOn laporUrl } }"""
LIST = """query($status: ComplaintStatus, $overdue: Boolean! = false, $after: ID) {
  complaints(status: $status, overdueOnly: $overdue, first: 10, after: $after) {
  nodes { id trackingCode serviceName unitName category text contact status dueOn answer }
  nextAfter } }"""
ANSWER = """mutation($id: ID!, $answer: String!) { answerComplaint(id: $id, answer: $answer) {
  complaint { id status answer answeredAt } errors { field code message } } }"""
STATS = """query($since: Date!, $until: Date!) { complaintStatistics(since: $since,
  until: $until) { unitName received answered open overdue answeredOnTime meanResponseHours
  meanResponseText } }"""


def token() -> str:
    return f"aduan-token-{next(_tokens):06d}"


async def services(region: Any) -> Campaign:
    """'ktp' in BIDANG-A (headed by chief, the SUPERVISOR login), 'akta' in BIDANG-B."""
    return await open_campaign(region)


async def complain(
    api,
    code: str,
    text: str = "Antrean KTP sangat lama dan tidak ada nomor antrean.",
    *,
    category: str = "WAKTU",
    contact: str | None = "warga@example.test",
    client_token: str | None = None,
):
    return await api(
        SUBMIT,
        {
            "code": code,
            "category": category,
            "text": text,
            "token": client_token or token(),
            "contact": contact,
        },
    )


async def fill_complaint_tables(region: Any) -> None:
    """A complaint and a national export in the region (the isolation tests' row in every
    table), on a service of its own."""
    campaign = await open_campaign(region, populations={"aduan": 10})
    target = await public.resolve_code(campaign.codes["aduan"])
    assert target is not None
    async with tenant_transaction(region.id):
        await public.submit(
            target,
            public.Submission(category="LAINNYA", text="Isi", client_token=token()),
            await public.context(target),
        )
        await exports.request_export(
            actor=region.actor(Role.REGION_ADMIN),
            kind=ExportKind.JP_KOMPETENSI,
            year=TODAY.year,
            checkpoint_number=None,
            fmt=ExportFormat.CSV,
        )
