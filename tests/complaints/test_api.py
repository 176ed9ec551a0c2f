"""Public complaints (pengaduan) through GraphQL, in a freshly set-up region (the reference
data onboarding gives every region, tests/conftest.build_region): the form on a survey
code, submission with its tracking code, the public status, the unit head's answer, the
overdue reminders, the per-unit figures; and the attacker's side: other regions' codes and
ids, tracking-code guessing, replayed client tokens, and personal data in public answers."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from kinerja_saas.auth.roles import Role
from kinerja_saas.complaints import service
from kinerja_saas.complaints.events import ESCALATED, OVERDUE
from kinerja_saas.complaints.rules import add_working_days
from kinerja_saas.database_client import count_statements
from kinerja_saas.outbox.models import OutboxEvent
from tenants.context import tenant_transaction
from tenants.models import Tenant
from tests.complaints.helpers import (
    ANSWER,
    FORM,
    LIST,
    STATS,
    STATUS,
    complain,
    services,
    token,
)
from tests.notifications.helpers import fan_out, inbox, notified_roles, queue

SETTINGS = """mutation($i: RegionSettingsInput!) { updateRegionSettings(input: $i) {
  region { settings { complaints { answerDueWorkingDays laporUrl } } }
  errors { field code message } } }"""


@pytest.fixture
async def pool(settings, redis):
    pool = await queue(settings)
    yield pool
    await pool.aclose()


async def set_complaint_settings(region, **values) -> None:
    async with tenant_transaction(region.id):
        tenant = await Tenant.get(id=region.id)
        tenant.settings = {**(tenant.settings or {}), "complaints": values}
        await tenant.save(update_fields=["settings"])


async def count_complaints(owner_conn, region) -> int:
    return await owner_conn.fetchval(
        "SELECT count(*) FROM complaints WHERE tenant_id = $1", region.id
    )


async def listed(api, region, role=Role.REGION_ADMIN, **variables):
    res = await api.as_role(region, role, LIST, variables)
    return res.data["complaints"]["nodes"]


# --- the citizen's side -----------------------------------------------------------------------


async def test_form_submission_and_status_need_no_login(api, region_a):
    campaign = await services(region_a)
    code = campaign.codes["ktp"]
    form = (await api(FORM, {"code": code})).data["complaintForm"]
    assert (form["serviceName"], form["unitName"], form["regionName"]) == (
        "Layanan ktp",
        "Bidang A",
        "Kota A",
    )
    assert [c["category"] for c in form["categories"]][:2] == ["PROSEDUR", "WAKTU"]
    assert form["categories"][3]["label"] == "Perilaku petugas"
    assert form["isOpen"] is True and form["laporUrl"] is None
    assert form["answerDueWorkingDays"] == 5

    res = await complain(api, code)
    sent = res.data["submitComplaint"]
    assert sent["errors"] == [] and sent["replayed"] is False
    tracking = sent["trackingCode"]
    assert len(tracking) == 14 and tracking[4] == tracking[9] == "-"
    received = date.fromisoformat(
        (await api(STATUS, {"t": tracking})).data["complaintStatus"]["receivedOn"]
    )
    assert sent["dueOn"] == add_working_days(received, 5).isoformat()

    # Typed by the citizen: lower case, spaces instead of dashes.
    status = (await api(STATUS, {"t": tracking.lower().replace("-", " ")})).data["complaintStatus"]
    assert status["trackingCode"] == tracking
    assert (status["status"], status["statusLabel"]) == ("BARU", "Sedang ditangani")
    assert (status["category"], status["categoryLabel"]) == ("WAKTU", "Waktu pelayanan")
    assert status["answer"] is None and status["answeredOn"] is None
    assert (
        status["dueOnText"].split()[1]
        in (
            "Januari Februari Maret April Mei Juni Juli Agustus September Oktober November Desember"
        ).split()
    )


async def test_public_answers_never_carry_the_contact_or_the_text(api, region_a):
    campaign = await services(region_a)
    secret_contact = "0812-3456-7890 Budi Santoso"
    secret_text = "Petugas loket 3 meminta uang Rp50.000 kepada saya."
    sent = await complain(
        api, campaign.codes["ktp"], secret_text, category="BIAYA", contact=secret_contact
    )
    tracking = sent.data["submitComplaint"]["trackingCode"]
    for body in (sent.body, (await api(STATUS, {"t": tracking})).body):
        text = str(body)
        assert "0812" not in text and "Budi" not in text and "Rp50.000" not in text
    # The introspected type has no such field: a client cannot ask for it.
    asked = await api(
        "query($t: String!) { complaintStatus(trackingCode: $t) { contact } }", {"t": tracking}
    )
    assert asked.status == 200 and asked.errors and "contact" in asked.errors[0]["message"]
    # The unit head and the admin read both.
    (node,) = await listed(api, region_a)
    assert (node["contact"], node["text"]) == (secret_contact, secret_text)


async def test_bad_submissions_are_typed_and_write_nothing(api, region_a, owner_conn):
    campaign = await services(region_a)
    code = campaign.codes["ktp"]
    res = await complain(api, code, "   ", contact="x" * 201, client_token="short")
    errors = res.data["submitComplaint"]["errors"]
    assert {(e["field"], e["code"]) for e in errors} == {
        ("text", "REQUIRED"),
        ("contact", "TOO_LONG"),
        ("clientToken", "INVALID_CLIENT_TOKEN"),
    }
    assert next(e for e in errors if e["field"] == "text")["message"] == (
        "Isi pengaduan wajib diisi."
    )
    assert res.data["submitComplaint"]["trackingCode"] is None
    long_text = await complain(api, code, "x" * 2001)
    (error,) = long_text.data["submitComplaint"]["errors"]
    assert (error["field"], error["code"], error["message"]) == (
        "text",
        "TOO_LONG",
        "Isi pengaduan paling banyak 2000 karakter.",
    )
    bad_category = await complain(api, code, category="PUNGLI")
    assert bad_category.errors  # not a ComplaintCategory: refused before any resolver
    unknown = await complain(api, "no-such-code-0123456789")
    assert [e["code"] for e in unknown.data["submitComplaint"]["errors"]] == ["UNKNOWN_CODE"]
    assert await count_complaints(owner_conn, region_a) == 0


async def test_a_repeated_send_is_one_complaint_and_a_reused_token_opens_nothing(
    api, region_a, owner_conn
):
    campaign = await services(region_a)
    code = campaign.codes["ktp"]
    shared = token()
    first = (await complain(api, code, client_token=shared)).data["submitComplaint"]
    again = (await complain(api, code, client_token=shared)).data["submitComplaint"]
    assert again["replayed"] is True and again["trackingCode"] == first["trackingCode"]
    # Someone who learnt (or guessed) the token but sends another complaint gets no code.
    other = (await complain(api, code, "Lain", client_token=shared)).data["submitComplaint"]
    assert other["trackingCode"] is None
    assert [e["code"] for e in other["errors"]] == ["CLIENT_TOKEN_REUSED"]
    assert first["trackingCode"] not in str(other)
    assert await count_complaints(owner_conn, region_a) == 1


async def test_submissions_are_rate_limited_per_client_and_region(api, region_a, owner_conn):
    campaign = await services(region_a)
    await set_complaint_settings(region_a, rate_limit_per_ip_per_hour=2)
    results = [await complain(api, campaign.codes[k]) for k in ("ktp", "akta", "ktp")]
    assert [r.codes for r in results] == [[], [], ["RATE_LIMITED"]]
    assert 0 < results[2].errors[0]["extensions"]["retryAfter"] <= 3600
    assert await count_complaints(owner_conn, region_a) == 2


async def test_one_code_is_rate_limited_per_client_per_minute(api, region_a):
    campaign = await services(region_a)
    results = [await complain(api, campaign.codes["ktp"]) for _ in range(6)]
    assert [r.codes for r in results] == [[], [], [], [], [], ["RATE_LIMITED"]]
    assert results[5].errors[0]["extensions"]["retryAfter"] <= 60


async def test_guessing_tracking_codes_is_refused_then_rate_limited(api, region_a):
    campaign = await services(region_a)
    real = (await complain(api, campaign.codes["ktp"])).data["submitComplaint"]["trackingCode"]
    guesses = [f"ABCD-EFGH-{n:04d}".replace("0", "A").replace("1", "B") for n in range(20)]
    results = [await api(STATUS, {"t": g}) for g in guesses]
    assert all(r.codes == ["UNKNOWN_TRACKING_CODE"] for r in results)
    assert "tidak dikenal" in results[0].errors[0]["message"]
    limited = await api(STATUS, {"t": "ZZZZ-ZZZZ-ZZZZ"})
    assert limited.codes == ["RATE_LIMITED"]
    # A malformed code is just as unknown (and counted) — it never reaches the database.
    assert (await api(STATUS, {"t": "' OR 1=1 --"})).codes == ["RATE_LIMITED"]
    # Even the real code is refused to this client now: guessing costs the guesser.
    assert (await api(STATUS, {"t": real})).codes == ["RATE_LIMITED"]


# --- the unit head's side ---------------------------------------------------------------------


async def test_the_unit_head_answers_once_and_the_citizen_reads_it(api, region_a):
    campaign = await services(region_a)
    tracking = (await complain(api, campaign.codes["ktp"])).data["submitComplaint"]["trackingCode"]
    (node,) = await listed(api, region_a, Role.SUPERVISOR)  # chief heads BIDANG-A
    assert node["trackingCode"] == tracking and node["status"] == "BARU"
    text = "Mulai Senin loket KTP memakai nomor antrean. Terima kasih atas masukannya."
    res = await api.as_role(region_a, Role.SUPERVISOR, ANSWER, {"id": node["id"], "answer": text})
    answered = res.data["answerComplaint"]
    assert answered["errors"] == [] and answered["complaint"]["status"] == "DIJAWAB"
    status = (await api(STATUS, {"t": tracking})).data["complaintStatus"]
    assert (status["status"], status["statusLabel"], status["answer"]) == (
        "DIJAWAB",
        "Sudah dijawab",
        text,
    )
    assert status["answeredOn"] is not None
    again = await api.as_role(
        region_a, Role.REGION_ADMIN, ANSWER, {"id": node["id"], "answer": "x"}
    )
    (error,) = again.data["answerComplaint"]["errors"]
    assert error["code"] == "ALREADY_ANSWERED" and error["message"].startswith(
        "Pengaduan ini sudah dijawab pada "
    )
    assert (await api(STATUS, {"t": tracking})).data["complaintStatus"]["answer"] == text


async def test_who_reads_and_answers(api, region_a):
    campaign = await services(region_a)
    await complain(api, campaign.codes["ktp"])  # BIDANG-A
    await complain(api, campaign.codes["akta"])  # BIDANG-B, not chief's
    admin_nodes = await listed(api, region_a)
    assert {n["unitName"] for n in admin_nodes} == {"Bidang A", "Bidang B"}
    head_nodes = await listed(api, region_a, Role.SUPERVISOR)
    assert {n["unitName"] for n in head_nodes} == {"Bidang A"}
    other_unit = next(n for n in admin_nodes if n["unitName"] == "Bidang B")
    res = await api.as_role(
        region_a, Role.SUPERVISOR, ANSWER, {"id": other_unit["id"], "answer": "Bukan unit saya"}
    )
    assert [e["code"] for e in res.data["answerComplaint"]["errors"]] == ["NOT_FOUND"]
    for role in (Role.EMPLOYEE, Role.TRAINING_OFFICER):
        refused = await api.as_role(region_a, role, LIST)
        assert refused.codes == ["FORBIDDEN"]
        assert "kepala unit layanan dan admin daerah" in refused.errors[0]["message"]
        answer = await api.as_role(region_a, role, ANSWER, {"id": other_unit["id"], "answer": "x"})
        assert answer.codes == ["FORBIDDEN"]
    empty = await api.as_role(
        region_a, Role.REGION_ADMIN, ANSWER, {"id": other_unit["id"], "answer": " "}
    )
    assert [e["code"] for e in empty.data["answerComplaint"]["errors"]] == ["REQUIRED"]


async def test_another_regions_codes_and_ids_reach_nothing(api, region_a, region_b, owner_conn):
    campaign_a = await services(region_a)
    campaign_b = await services(region_b)
    tracking = (await complain(api, campaign_a.codes["ktp"])).data["submitComplaint"][
        "trackingCode"
    ]
    (node,) = await listed(api, region_a)
    # B's admin: A's complaint id is absent, A's codes refuse B's login.
    res = await api.as_role(region_b, Role.REGION_ADMIN, ANSWER, {"id": node["id"], "answer": "x"})
    assert [e["code"] for e in res.data["answerComplaint"]["errors"]] == ["NOT_FOUND"]
    assert await listed(api, region_b) == []
    assert (await api.as_role(region_b, Role.REGION_ADMIN, STATUS, {"t": tracking})).codes == [
        "REGION_MISMATCH"
    ]
    sent = await api.as_role(
        region_b,
        Role.REGION_ADMIN,
        "mutation($c: String!, $t: String!) { submitComplaint(code: $c, category: LAINNYA,"
        ' text: "x", clientToken: $t) { trackingCode } }',
        {"c": campaign_a.codes["ktp"], "t": token()},
    )
    assert sent.codes == ["REGION_MISMATCH"]
    # Two regions in one anonymous request: the second is refused.
    both = await api(
        "query($a: String!, $b: String!) { x: complaintStatus(trackingCode: $a) { status }"
        " y: complaintForm(code: $b) { serviceName } }",
        {"a": tracking, "b": campaign_b.codes["ktp"]},
    )
    assert "ONE_REGION_PER_REQUEST" in both.codes
    assert (
        await owner_conn.fetchval(
            "SELECT count(*) FROM complaints WHERE tenant_id = $1", region_b.id
        )
        == 0
    )


async def test_a_suspended_regions_tracking_codes_are_unknown(api, region_a, owner_conn):
    campaign = await services(region_a)
    tracking = (await complain(api, campaign.codes["ktp"])).data["submitComplaint"]["trackingCode"]
    await owner_conn.execute("UPDATE tenants SET status = 'SUSPENDED' WHERE id = $1", region_a.id)
    try:
        assert (await api(STATUS, {"t": tracking})).codes == ["UNKNOWN_TRACKING_CODE"]
    finally:
        await owner_conn.execute("UPDATE tenants SET status = 'ACTIVE' WHERE id = $1", region_a.id)


# --- overdue reminders ------------------------------------------------------------------------


async def overdue(owner_conn, region, *, due_days_ago: int, escalate_days_ago: int) -> None:
    today = date.today()
    await owner_conn.execute(
        "UPDATE complaints SET received_on = $2, due_on = $3, escalate_on = $4"
        " WHERE tenant_id = $1",
        region.id,
        today - timedelta(days=due_days_ago + 7),
        today - timedelta(days=due_days_ago),
        today - timedelta(days=escalate_days_ago),
    )


async def remind(region, now: datetime | None = None) -> service.Reminded:
    async with tenant_transaction(region.id):
        return await service.remind_overdue(now=now)


async def events_of(region, topic) -> list[OutboxEvent]:
    async with tenant_transaction(region.id):
        return await OutboxEvent.filter(topic=topic.name).order_by("id")


async def test_overdue_reminds_the_head_then_the_admin_once_each(api, region_a, owner_conn, pool):
    campaign = await services(region_a)
    tracking = (await complain(api, campaign.codes["ktp"])).data["submitComplaint"]["trackingCode"]
    await complain(api, campaign.codes["akta"])
    (answered,) = [n for n in await listed(api, region_a) if n["unitName"] == "Bidang B"]
    await api.as_role(region_a, Role.REGION_ADMIN, ANSWER, {"id": answered["id"], "answer": "OK"})
    assert await remind(region_a) == service.Reminded(0, 0)  # nothing due yet

    await overdue(owner_conn, region_a, due_days_ago=2, escalate_days_ago=1)
    assert await remind(region_a) == service.Reminded(heads=1, admins=0)  # the answered one: no
    assert await remind(region_a) == service.Reminded(0, 0)  # a repeated run: nothing twice
    (event,) = await events_of(region_a, OVERDUE)
    assert event.payload["tracking_code"] == tracking
    assert "contact" not in event.payload and "body" not in event.payload
    await fan_out(pool, region_a, event)
    assert await notified_roles(region_a, event.id) == {Role.SUPERVISOR}  # chief heads A
    (note,) = [n for n in await inbox(region_a, Role.SUPERVISOR) if n.event_id == event.id]
    assert note.title == f"Pengaduan {tracking} belum dijawab"
    assert "layanan Layanan ktp (Bidang A)" in note.body and "batas waktunya" in note.body

    # The next day's run (past the escalation day): the admins are told, once.
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    assert await remind(region_a, tomorrow) == service.Reminded(heads=0, admins=1)
    assert await remind(region_a, tomorrow) == service.Reminded(0, 0)
    (escalated,) = await events_of(region_a, ESCALATED)
    await fan_out(pool, region_a, escalated)
    assert await notified_roles(region_a, escalated.id) == {Role.REGION_ADMIN}
    (note,) = [n for n in await inbox(region_a, Role.REGION_ADMIN) if n.event_id == escalated.id]
    assert note.title == f"Pengaduan {tracking} terlambat dijawab"
    overdue_list = await listed(api, region_a, overdue=True)
    assert [n["trackingCode"] for n in overdue_list] == [tracking]


async def test_a_unit_without_a_head_login_reminds_the_admins(api, region_a, owner_conn, pool):
    campaign = await services(region_a)
    await complain(api, campaign.codes["akta"])  # BIDANG-B: `other` has no SUPERVISOR login
    await overdue(owner_conn, region_a, due_days_ago=1, escalate_days_ago=-3)
    assert await remind(region_a) == service.Reminded(heads=1, admins=0)
    (event,) = await events_of(region_a, OVERDUE)
    await fan_out(pool, region_a, event)
    assert await notified_roles(region_a, event.id) == {Role.REGION_ADMIN}


async def test_reminders_are_one_statement_however_many(api, region_a, owner_conn):
    campaign = await services(region_a)
    for _ in range(3):
        await complain(api, campaign.codes["ktp"])
    await overdue(owner_conn, region_a, due_days_ago=2, escalate_days_ago=1)
    with count_statements() as few:
        assert (await remind(region_a)).heads == 3
    await owner_conn.execute(
        "UPDATE complaints SET head_reminded_at = NULL WHERE tenant_id = $1", region_a.id
    )
    for _ in range(2):
        await complain(api, campaign.codes["ktp"], client_token=token())
    await overdue(owner_conn, region_a, due_days_ago=2, escalate_days_ago=1)
    with count_statements() as more:
        assert (await remind(region_a)).heads == 5
    assert few.count == more.count


# --- figures and settings ---------------------------------------------------------------------


async def test_statistics_per_unit_feed_monitoring(api, region_a, owner_conn):
    campaign = await services(region_a)
    for _ in range(3):
        await complain(api, campaign.codes["ktp"])
    await complain(api, campaign.codes["akta"])
    nodes = await listed(api, region_a)
    first_a = next(n for n in nodes if n["unitName"] == "Bidang A")
    await api.as_role(region_a, Role.SUPERVISOR, ANSWER, {"id": first_a["id"], "answer": "Sudah"})
    # Answered 26,5 hours after it came in.
    await owner_conn.execute(
        "UPDATE complaints SET created_at = answered_at - interval '26 hours 30 minutes'"
        " WHERE id = $1",
        int(first_a["id"]),
    )
    today = date.today()
    await owner_conn.execute(
        "UPDATE complaints SET due_on = received_on, received_on = received_on"
        " WHERE tenant_id = $1 AND status = 'BARU' AND service_id = $2",
        region_a.id,
        campaign.services["akta"],
    )
    span = {
        "since": (today - timedelta(days=30)).isoformat(),
        "until": (today + timedelta(days=2)).isoformat(),
    }
    rows = (await api.as_role(region_a, Role.REGION_ADMIN, STATS, span)).data["complaintStatistics"]
    by_unit = {r["unitName"]: r for r in rows}
    a = by_unit["Bidang A"]
    assert (a["received"], a["answered"], a["open"], a["answeredOnTime"]) == (3, 1, 2, 1)
    assert (a["meanResponseHours"], a["meanResponseText"]) == ("26.5", "26,5 jam")
    assert by_unit["Bidang B"]["answered"] == 0 and by_unit["Bidang B"]["meanResponseHours"] is None
    head = (await api.as_role(region_a, Role.SUPERVISOR, STATS, span)).data["complaintStatistics"]
    assert [r["unitName"] for r in head] == ["Bidang A"]
    backwards = await api.as_role(
        region_a, Role.REGION_ADMIN, STATS, {"since": span["until"], "until": span["since"]}
    )
    assert backwards.codes == ["INVALID_DATE_RANGE"]


async def test_the_lapor_link_and_due_days_are_region_settings(api, region_a):
    campaign = await services(region_a)
    bad = await api.as_role(
        region_a,
        Role.REGION_ADMIN,
        SETTINGS,
        {"i": {"complaints": {"laporUrl": "javascript:alert(1)"}}},
    )
    (error,) = bad.data["updateRegionSettings"]["errors"]
    assert (error["field"], error["code"]) == ("complaints.laporUrl", "INVALID")
    assert "https://" in error["message"]
    link = "https://www.lapor.go.id/instansi/pemerintah-kota-a"
    ok = await api.as_role(
        region_a,
        Role.REGION_ADMIN,
        SETTINGS,
        {"i": {"complaints": {"laporUrl": link, "answerDueWorkingDays": 10}}},
    )
    assert ok.data["updateRegionSettings"]["region"]["settings"]["complaints"] == {
        "answerDueWorkingDays": 10,
        "laporUrl": link,
    }
    form = (await api(FORM, {"code": campaign.codes["ktp"]})).data["complaintForm"]
    assert (form["laporUrl"], form["answerDueWorkingDays"]) == (link, 10)
    sent = (await complain(api, campaign.codes["ktp"])).data["submitComplaint"]
    status = (await api(STATUS, {"t": sent["trackingCode"]})).data["complaintStatus"]
    assert status["laporUrl"] == link
    assert (
        sent["dueOn"] == add_working_days(date.fromisoformat(status["receivedOn"]), 10).isoformat()
    )


async def test_the_public_paths_run_few_statements(api, region_a):
    campaign = await services(region_a)
    code = campaign.codes["ktp"]
    sent = await complain(api, code)
    status = await api(STATUS, {"t": sent.data["submitComplaint"]["trackingCode"]})
    form = await api(FORM, {"code": code})
    # Pinned: the code's (or tracking code's) lookup, the region's entry and one read;
    # a submission reads the service's context once (its rate limit and its checks) and
    # writes with one INSERT.
    assert (form.statements, status.statements) == (3, 3)
    assert sent.statements == 4, sent.sql


async def test_a_closed_survey_campaign_still_takes_complaints(api, region_a, owner_conn):
    campaign = await services(region_a)
    await owner_conn.execute(
        "UPDATE survey_campaigns SET opens_on = current_date - 10, closes_on = current_date - 5"
        " WHERE id = $1",
        campaign.id,
    )
    sent = (await complain(api, campaign.codes["ktp"])).data["submitComplaint"]
    assert sent["errors"] == [] and sent["trackingCode"]
    assert (await api(FORM, {"code": campaign.codes["ktp"]})).data["complaintForm"]["isOpen"]
