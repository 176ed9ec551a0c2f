"""Announcements: a region admin reaches every login of a unit and its sub-units, or of the
whole region; bad input writes nothing; other roles cannot send."""

import pytest

from kinerja_saas.auth.roles import Role
from kinerja_saas.notifications.announcements import ANNOUNCEMENT
from kinerja_saas.outbox.models import OutboxEvent
from tenants.context import tenant_transaction
from tests.notifications.helpers import fan_out, inbox, notified_roles, queue

ADMIN, SUPERVISOR, EMPLOYEE, OFFICER = (
    Role.REGION_ADMIN,
    Role.SUPERVISOR,
    Role.EMPLOYEE,
    Role.TRAINING_OFFICER,
)
SEND = """mutation($input: AnnouncementInput!) { sendAnnouncement(input: $input) {
  queued errors { field code message } } }"""


@pytest.fixture
async def pool(settings, redis):
    pool = await queue(settings)
    yield pool
    await pool.aclose()


async def announcements(region) -> list[OutboxEvent]:
    async with tenant_transaction(region.id):
        return await OutboxEvent.filter(topic=ANNOUNCEMENT).order_by("id")


@pytest.mark.parametrize(
    ("unit", "reached"),
    [
        ("a", {SUPERVISOR, EMPLOYEE}),  # Bidang A: chief and staff1 (staff2 has no login)
        ("b", {OFFICER}),
        ("dinas", {ADMIN, SUPERVISOR, EMPLOYEE, OFFICER}),  # the unit and its sub-units
        (None, {ADMIN, SUPERVISOR, EMPLOYEE, OFFICER}),  # the whole region
    ],
)
async def test_an_announcement_reaches_the_unit_and_its_subunits(
    api, region_a, region_b, pool, unit, reached
):
    unit_id = str(region_a.units[unit].id) if unit else None
    res = await api.as_role(
        region_a,
        ADMIN,
        SEND,
        {
            "input": {
                "title": "Apel pagi",
                "body": "Apel pagi Senin pukul 07.30.",
                "unitId": unit_id,
            }
        },
    )
    assert res.data["sendAnnouncement"] == {"queued": True, "errors": []}
    (event,) = await announcements(region_a)
    await fan_out(pool, region_a, event)
    assert await notified_roles(region_a, event.id) == reached
    note = next(n for n in await inbox(region_a, next(iter(reached))) if n.event_id == event.id)
    assert (note.title, note.body) == ("Apel pagi", "Apel pagi Senin pukul 07.30.")
    assert await announcements(region_b) == []


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"title": "  "}, "title", "REQUIRED"),
        ({"title": "x" * 201}, "title", "TOO_LONG"),
        ({"body": ""}, "body", "REQUIRED"),
        ({"unitId": "999999999"}, "unitId", "NOT_FOUND"),
        ({"unitId": "other-region"}, "unitId", "NOT_FOUND"),
    ],
)
async def test_bad_announcements_write_nothing(api, region_a, region_b, changes, field, code):
    if changes.get("unitId") == "other-region":
        changes = {"unitId": str(region_b.units["a"].id)}
    data = {"title": "Apel", "body": "Apel pagi.", **changes}
    res = await api.as_role(region_a, ADMIN, SEND, {"input": data})
    payload = res.data["sendAnnouncement"]
    assert payload["queued"] is False
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [(field, code)]
    assert await announcements(region_a) == []


async def test_only_region_admins_send_announcements(api, region_a):
    for role in (SUPERVISOR, EMPLOYEE, OFFICER):
        res = await api.as_role(region_a, role, SEND, {"input": {"title": "x", "body": "y"}})
        assert res.codes == ["FORBIDDEN"]
    assert await announcements(region_a) == []
