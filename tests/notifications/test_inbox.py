"""The in-app inbox over the API: listing, unread counts, marking read (only one's own),
preferences per kind and channel, and the region's own texts."""

import pytest

from kinerja_saas.auth.roles import Role
from kinerja_saas.notifications.models import Delivery, Notification, NotificationPreference
from tenants.context import tenant_transaction
from tests.notifications.helpers import emit_event, fan_out, inbox, queue

ADMIN, SUPERVISOR, EMPLOYEE = Role.REGION_ADMIN, Role.SUPERVISOR, Role.EMPLOYEE
LIST = """query($first: Int, $after: String, $unread: Boolean!) {
  myNotifications(first: $first, after: $after, unreadOnly: $unread) {
    edges { cursor node { id kind title body link isRead } }
    pageInfo { hasNextPage endCursor } }
  unreadNotificationCount }"""
MARK = """mutation($ids: [ID!]!) { markNotificationsRead(ids: $ids) {
  updated unreadCount errors { field code message } } }"""
MARK_ALL = "mutation { markAllNotificationsRead { updated unreadCount } }"
PREFS = """mutation($input: NotificationPreferencesInput!) {
  setNotificationPreferences(input: $input) {
    preferences { emailDigest kinds { kind channels { channel enabled isDefault } } }
    errors { field code message } } }"""
SET_TEXT = """mutation($kind: String!, $title: String!, $body: String!) {
  setNotificationText(kind: $kind, title: $title, body: $body) {
    text { kind title body overridden variables } errors { field code message } } }"""


@pytest.fixture
async def pool(settings, redis):
    pool = await queue(settings)
    yield pool
    await pool.aclose()


async def notify_everyone(region, pool, years=(2031, 2032, 2033)) -> None:
    """One PERIOD_OPENED notification per year for every login of the region."""
    for year in years:
        await fan_out(
            pool, region, await emit_event(region, "performance.period_opened", {"year": year})
        )


async def test_listing_newest_first_in_pages_with_unread_count(api, region_a, pool):
    await notify_everyone(region_a, pool)
    first = await api.as_role(region_a, EMPLOYEE, LIST, {"first": 2, "unread": False})
    page = first.data["myNotifications"]
    assert [e["node"]["title"] for e in page["edges"]] == [
        "Periode kinerja 2033 dibuka",
        "Periode kinerja 2032 dibuka",
    ]
    assert page["pageInfo"]["hasNextPage"] is True
    assert first.data["unreadNotificationCount"] == 3
    node = page["edges"][0]["node"]
    assert (node["kind"], node["link"], node["isRead"]) == ("PERIOD_OPENED", "/skp", False)
    rest = await api.as_role(
        region_a,
        EMPLOYEE,
        LIST,
        {"first": 2, "after": page["pageInfo"]["endCursor"], "unread": False},
    )
    assert [e["node"]["title"] for e in rest.data["myNotifications"]["edges"]] == [
        "Periode kinerja 2031 dibuka"
    ]
    assert rest.data["myNotifications"]["pageInfo"]["hasNextPage"] is False


async def test_marking_read_and_the_unread_filter(api, region_a, pool):
    await notify_everyone(region_a, pool)
    listed = await api.as_role(region_a, EMPLOYEE, LIST, {"unread": True})
    ids = [e["node"]["id"] for e in listed.data["myNotifications"]["edges"]]
    res = await api.as_role(region_a, EMPLOYEE, MARK, {"ids": ids[:2]})
    assert res.data["markNotificationsRead"] == {"updated": 2, "unreadCount": 1, "errors": []}
    again = await api.as_role(region_a, EMPLOYEE, MARK, {"ids": ids[:2]})  # already read
    assert again.data["markNotificationsRead"]["updated"] == 0
    unread = await api.as_role(region_a, EMPLOYEE, LIST, {"unread": True})
    assert [e["node"]["id"] for e in unread.data["myNotifications"]["edges"]] == ids[2:]
    everything = await api.as_role(region_a, EMPLOYEE, MARK_ALL)
    assert everything.data["markAllNotificationsRead"] == {"updated": 1, "unreadCount": 0}
    # The others' notifications were not touched.
    assert all(n.read_at is None for n in await inbox(region_a, SUPERVISOR))


async def test_marking_someone_elses_notification_is_refused_whole(api, region_a, region_b, pool):
    await notify_everyone(region_a, pool, years=(2031,))
    await notify_everyone(region_b, pool, years=(2031,))
    (mine,) = await inbox(region_a, EMPLOYEE)
    (theirs,) = await inbox(region_a, SUPERVISOR)
    (other_region,) = await inbox(region_b, EMPLOYEE)
    for foreign in (theirs.id, other_region.id):
        res = await api.as_role(region_a, EMPLOYEE, MARK, {"ids": [str(mine.id), str(foreign)]})
        payload = res.data["markNotificationsRead"]
        assert [(e["field"], e["code"]) for e in payload["errors"]] == [("ids", "NOT_FOUND")]
        assert (payload["updated"], payload["unreadCount"]) == (0, 1)
    assert (await inbox(region_a, EMPLOYEE))[0].read_at is None  # nothing half-written
    assert (await inbox(region_b, EMPLOYEE))[0].read_at is None
    bad = await api.as_role(region_a, EMPLOYEE, MARK, {"ids": []})
    assert bad.data["markNotificationsRead"]["errors"][0]["code"] == "REQUIRED"
    garbage = await api.as_role(region_a, EMPLOYEE, MARK, {"ids": ["x"]})
    assert garbage.data["markNotificationsRead"]["errors"][0]["field"] == "ids"


async def test_another_region_lists_none_of_these(api, region_a, region_b, pool):
    await notify_everyone(region_a, pool)
    res = await api.as_role(region_b, EMPLOYEE, LIST, {"unread": False})
    assert res.data["myNotifications"]["edges"] == []
    assert res.data["unreadNotificationCount"] == 0


async def test_preferences_switch_channels_per_kind(api, region_a, pool):
    res = await api.as_role(
        region_a,
        EMPLOYEE,
        PREFS,
        {
            "input": {
                "preferences": [
                    {"kind": "PLAN_APPROVED", "channel": "IN_APP", "enabled": False},
                    {"kind": "DIALOG_NOTE", "channel": "EMAIL", "enabled": True},
                ],
                "emailDigest": True,
            }
        },
    )
    prefs = res.data["setNotificationPreferences"]["preferences"]
    assert prefs["emailDigest"] is True
    by_kind = {k["kind"]: {c["channel"]: c for c in k["channels"]} for k in prefs["kinds"]}
    assert by_kind["PLAN_APPROVED"]["IN_APP"] == {
        "channel": "IN_APP",
        "enabled": False,
        "isDefault": False,
    }
    assert by_kind["PLAN_APPROVED"]["EMAIL"]["isDefault"] is True
    assert by_kind["DIALOG_NOTE"]["EMAIL"]["enabled"] is True

    staff1 = region_a.employees["staff1"].id
    approved = await emit_event(
        region_a, "performance.plan_approved", {"plan_id": 1, "employee_id": staff1}
    )
    note = await emit_event(
        region_a,
        "performance.dialog_note_added",
        {
            "plan_id": 1,
            "author_employee_id": region_a.employees["chief"].id,
            "recipient_employee_id": staff1,
        },
    )
    for event in (approved, note):
        await fan_out(pool, region_a, event)
    async with tenant_transaction(region_a.id):
        assert not await Notification.filter(event_id=approved.id).exists()
        assert await Notification.filter(event_id=note.id).count() == 1
        statuses = {
            d.event_id: d.status.value
            for d in await Delivery.filter(event_id__in=[approved.id, note.id])
        }
    assert statuses == {approved.id: "DIGEST", note.id: "DIGEST"}  # the daily digest


@pytest.mark.parametrize(
    ("choice", "field", "code"),
    [
        ({"kind": "NO_SUCH_KIND", "channel": "EMAIL", "enabled": True}, "preferences[1].kind", "UNKNOWN_KIND"),
        ({"kind": "PLAN_APPROVED", "channel": "WEBHOOK", "enabled": True}, "preferences[1].channel", "NOT_A_USER_CHANNEL"),
        ({"kind": "DIALOG_NOTE", "channel": "EMAIL", "enabled": False}, "preferences[1]", "DUPLICATE"),
    ],
)  # fmt: skip
async def test_bad_preferences_are_refused_and_nothing_written(api, region_a, choice, field, code):
    valid = {"kind": "DIALOG_NOTE", "channel": "EMAIL", "enabled": True}
    res = await api.as_role(
        region_a, EMPLOYEE, PREFS, {"input": {"preferences": [valid, choice], "emailDigest": True}}
    )
    payload = res.data["setNotificationPreferences"]
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [(field, code)]
    assert payload["preferences"] is None
    async with tenant_transaction(region_a.id):
        assert not await NotificationPreference.filter(
            user_id=region_a.accounts[EMPLOYEE].id
        ).exists()
    prefs = await api.as_role(region_a, EMPLOYEE, "{ notificationPreferences { emailDigest } }")
    assert prefs.data["notificationPreferences"]["emailDigest"] is False


async def test_the_region_writes_its_own_texts(api, region_a, region_b, pool):
    res = await api.as_role(
        region_a,
        ADMIN,
        SET_TEXT,
        {"kind": "PLAN_APPROVED", "title": "Selamat {nama}!", "body": "SKP Anda di {region} sah."},
    )
    text = res.data["setNotificationText"]["text"]
    assert (text["overridden"], text["title"]) == (True, "Selamat {nama}!")
    assert "nama" in text["variables"] and "plan_id" in text["variables"]
    for region in (region_a, region_b):
        event = await emit_event(
            region,
            "performance.plan_approved",
            {"plan_id": 1, "employee_id": region.employees["staff1"].id},
        )
        await fan_out(pool, region, event)
    mine = [n for n in await inbox(region_a, EMPLOYEE) if n.kind == "PLAN_APPROVED"]
    theirs = [n for n in await inbox(region_b, EMPLOYEE) if n.kind == "PLAN_APPROVED"]
    account = region_a.accounts[EMPLOYEE]
    assert [(n.title, n.body) for n in mine] == [
        (f"Selamat {account.name}!", "SKP Anda di Kota A sah.")
    ]
    assert [n.title for n in theirs] == ["SKP Anda telah disetujui"]  # region B: built-in
    reset = await api.as_role(
        region_a,
        ADMIN,
        'mutation { resetNotificationText(kind: "PLAN_APPROVED") { text { title overridden } } }',
    )
    assert reset.data["resetNotificationText"]["text"] == {
        "title": "SKP Anda telah disetujui",
        "overridden": False,
    }


@pytest.mark.parametrize(
    ("variables", "field", "code"),
    [
        ({"kind": "NOPE", "title": "x", "body": "y"}, "kind", "UNKNOWN_KIND"),
        ({"kind": "PLAN_APPROVED", "title": "Hai {gaji}", "body": "y"}, "title", "UNKNOWN_PLACEHOLDER"),
        ({"kind": "PLAN_APPROVED", "title": "x", "body": "Kurung {buka"}, "body", "INVALID"),
        ({"kind": "PLAN_APPROVED", "title": "  ", "body": "y"}, "title", "REQUIRED"),
        ({"kind": "PLAN_APPROVED", "title": "{nama:>10}", "body": "y"}, "title", "INVALID"),
        ({"kind": "PLAN_APPROVED", "title": "x" * 301, "body": "y"}, "title", "TOO_LONG"),
    ],
)  # fmt: skip
async def test_bad_texts_are_refused(api, region_a, variables, field, code):
    res = await api.as_role(region_a, ADMIN, SET_TEXT, variables)
    payload = res.data["setNotificationText"]
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [(field, code)]
    texts = await api.as_role(region_a, ADMIN, "{ notificationTexts { kind overridden } }")
    assert not any(t["overridden"] for t in texts.data["notificationTexts"])


async def test_only_region_admins_manage_texts(api, region_a):
    for query, variables in (
        (SET_TEXT, {"kind": "PLAN_APPROVED", "title": "x", "body": "y"}),
        ("{ notificationTexts { kind } }", None),
    ):
        res = await api.as_role(region_a, SUPERVISOR, query, variables)
        assert res.codes == ["FORBIDDEN"]
