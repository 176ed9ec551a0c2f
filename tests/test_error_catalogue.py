"""The error catalogue: every declared code renders a message in Bahasa Indonesia, and every
code raised anywhere in the code base is declared (services raise catalogue members, never a
free text). Over HTTP, a bad survey answer on the public API and a suspended region come back
in Indonesian with their unchanged codes."""

from __future__ import annotations

import ast
import importlib
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from kinerja_saas.auth.roles import Role
from kinerja_saas.errors import FIELD_LABELS, ErrorCode, declared_codes, field_label
from tenants.models import RegionStatus
from tests.conftest import PASSWORD, update_region
from tests.surveys.helpers import open_campaign, token

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("kinerja_saas", "schema", "tenants", "workers")

# Words an English sentence can hardly do without, and none of which is Indonesian.
ENGLISH = {
    "the", "is", "are", "must", "not", "only", "cannot", "should", "please", "invalid",
    "already", "found", "this", "that", "with", "your", "you", "was", "has", "have", "be",
    "no", "of", "to", "or", "and", "at", "most", "least", "between", "try", "again", "use",
    "give", "choose", "such", "unknown", "missing", "required", "empty", "too", "many",
}  # fmt: skip
# Common Indonesian words: every message has at least one.
INDONESIAN = {
    "yang", "tidak", "harus", "wajib", "sudah", "belum", "dari", "dan", "atau", "ini", "di",
    "ke", "untuk", "dengan", "hanya", "dapat", "paling", "sebelum", "setelah", "diisi",
    "ditemukan", "tersebut", "terlalu", "silakan", "coba", "lagi", "bukan", "ada", "banyak",
    "memuat", "karakter", "terlebih", "dahulu", "berkas", "minimal", "gagal", "membentuk",
    "berstatus", "memiliki", "sedang", "tanpa", "pilih", "isi", "kirim", "gunakan", "salah",
    "antara", "sebutkan", "jalankan", "masuk", "terjadi", "menolak", "semua", "saat",
    "adalah", "menurut", "tuliskan",
}  # fmt: skip

# Sample values for the templates' parameters (a person's data, never English words).
SAMPLES: dict[str, object] = {
    "min": 1,
    "max": 100_000,
    "places": 4,
    "unit": "hari",
    "values": ["LAKI_LAKI", "PEREMPUAN"],
    "example": "kota-palembang",
    "allowed": ["admin wilayah", "atasan"],
    "source": "wilayah ini",
    "wait": 30,
    "count": 9,
    "names": ["redis", "worker heartbeat"],
    "ids": ["12", "13"],
    "cost": 5200,
    "name": "employees.first",
    "kind": "ANNOUNCEMENT_X",
    "kinds": ["loopback", "jaringan privat"],
    "known": ["{nama}", "{region}"],
    "unknown": ["{gaji}"],
    "host": "simpeg.internal",
    "status": "SUBMITTED",
    "current": "DRAFT",
    "target": "APPROVED",
    "employees": ["101", "102"],
    "total": Decimal("99.5"),
    "checkpoint": "Triwulan I 2026",
    "deadline": date(2026, 3, 31),
    "proposed": "SESUAI_EKSPEKTASI",
    "achievement": Decimal("74.49"),
    "rating": "DI_ATAS_EKSPEKTASI",
    "problems": "Paling banyak 70% boleh berpredikat BAIK; saat ini 80,00% (8 dari 10).",
    "missing": ["AKUNTABEL", "KOMPETEN"],
    "value": "PELAYANAN",
    "expected": "KUALITAS",
    "position": 3,
    "id": "41",
    "grantable": ["SUPERVISOR", "TRAINING_OFFICER"],
    "slug": "admin",
    "cap": 120,
    "size": 12_582_912,
    "line": 7,
    "lines": [4, 9],
    "more": 3,
    "delimiter": ",",
    "reason": "isi permintaan bukan JSON yang valid",
    "limit": Decimal(70),
    "group": "KURANG dan BUTUH_PERBAIKAN bersama-sama",
    "either": "BUTUH_PERBAIKAN atau KURANG",
    "rival": "BAIK",
    "now": "9,00% (9 dari 100)",
    "columns": ["nip", "nama", "jabatan", "unit"],
    # TPP
    "label": "TPP dasar",
    "low": 1,
    "high": 20_000,
    "month": "Maret 2026",
    "action": "mengubah aturan TPP",
    "nip": "198001012005011001",
    "first": 4,
    # issue 18: NIP/NI PPPK, roles, the batch calendar
    "year": "2019",
    "birth": date(1990, 5, 17),
    "scale": "I sampai XVII",
    "role": "Petugas Unit Pelatihan",
    "verb": "diberikan",
    "batch": "Angkatan 1",
    "day": date(2026, 3, 2),
    # issue 18: periodic targets
    "given": 2,
    "way": "lebih kecil",
    "previous_position": 2,
    "previous": Decimal("12.5"),
    "annual": Decimal(40),
    # documents
    "what": "SKP",
}


def _source_files() -> list[Path]:
    return sorted(
        p
        for package in PACKAGES
        for p in (ROOT / package).rglob("*.py")
        if "migrations" not in p.parts
    )


def _module(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts)


def _catalogue_modules() -> list[str]:
    """Every module that declares an ErrorCode enum (a class based on ErrorCode or on one of
    the catalogue's enums)."""
    found = []
    for path in _source_files():
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and any(
                isinstance(b, ast.Name) and b.id == "ErrorCode" for b in node.bases
            ):
                found.append(_module(path))
                break
    return found


def _catalogue() -> list[type[ErrorCode]]:
    for module in _catalogue_modules():
        importlib.import_module(module)
    return declared_codes()


def _members() -> list[ErrorCode]:
    return [member for enum in _catalogue() for member in enum]


def _words(text: str) -> set[str]:
    # Identifiers (IN_APP, KINERJA_PUBLIC_URL, notificationPreferences, {nama}) are names, not
    # words of the sentence.
    text = re.sub(r"\{[^}]*\}|'[^']*'|\S*[_/:@]\S*|\w+(?:\.\w+)+|\b\w*[a-z][A-Z]\w*\b", " ", text)
    return set(re.findall(r"[a-z]+", text.lower()))


def _params(member: ErrorCode, *, optional: bool) -> dict[str, object]:
    names = member.parameters if optional else member.required_parameters
    return {name: SAMPLES[name] for name in names}


def test_the_catalogue_covers_every_domain():
    modules = set(_catalogue_modules())
    for domain in (
        "auth",
        "org",
        "performance",
        "surveys",
        "training",
        "notifications",
        "documents",
    ):
        assert f"kinerja_saas.{domain}.errors" in modules
    assert {"kinerja_saas.errors", "kinerja_saas.regions.errors", "schema.error_codes"} <= modules
    assert len(_members()) >= 100


@pytest.mark.parametrize("member", _members(), ids=lambda m: f"{type(m).__name__}.{m.name}")
def test_every_message_is_indonesian(member: ErrorCode):
    missing = member.parameters - SAMPLES.keys()
    assert not missing, f"add samples for {missing}"
    for optional in (False, True):
        text = member.render("name", **_params(member, optional=optional))
        words = _words(text)
        assert not words & ENGLISH, f"English in {text!r}: {words & ENGLISH}"
        assert words & INDONESIAN, f"no common Indonesian word in {text!r}"
        assert "…" not in text, f"a parameter is missing in {text!r}"
        starts_with_a_name = re.match(r"\{(?!field\})", member.template)
        assert (starts_with_a_name or not text[0].islower()) and text.endswith("."), text


def test_numbers_in_messages_have_a_decimal_comma():
    from kinerja_saas.errors import CommonError
    from kinerja_saas.regions.errors import RegionError

    assert CommonError.OUT_OF_RANGE.render("value", min=0, max=Decimal("99999.9999")) == (
        "Nilai realisasi harus di antara 0 dan 99.999,9999."
    )
    text = RegionError.ABOVE_CAP.render("performance.resultThresholdAbove", cap=Decimal("112.5"))
    assert "112,5%" in text and "112.5" not in text


def test_field_labels_are_indonesian():
    _catalogue()  # every domain's labels registered
    for field, label in FIELD_LABELS.items():
        assert not _words(label) & ENGLISH, (field, label)
    assert field_label("answers.U3") == "Jawaban unsur U3"
    assert field_label("evidence[2].url") == "Tautan bukti"
    assert field_label("results[0].indicators[1].target") == "Target"


# --- every code raised is declared ------------------------------------------------------------

DOMAIN_ERRORS = {
    "DomainError", "ValidationFailed", "NotFound", "PermissionDenied", "AuthenticationFailed",
    "RateLimited", "RegionBusy", "TenantUnavailable", "LiveUnavailable", "ImportRefused",
    "RegionMismatch",
}  # fmt: skip


def _is_text(node: ast.AST | None) -> bool:
    return isinstance(node, ast.JoinedStr) or (
        isinstance(node, ast.Constant) and isinstance(node.value, str)
    )


def _raise_sites() -> tuple[list[tuple[str, int, str]], list[tuple[str, int, str]]]:
    """(code literals, free texts): each as (file, line, what)."""
    codes, texts = [], []
    for path in _source_files():
        where = str(path.relative_to(ROOT))
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                for kw in node.keywords:
                    if kw.arg == "code" and _is_text(kw.value):
                        codes.append((where, node.lineno, ast.unparse(kw.value)))
                    if kw.arg == "extensions" and isinstance(kw.value, ast.Dict):
                        for key, value in zip(kw.value.keys, kw.value.values, strict=True):
                            if _is_text(key) and key.value == "code" and _is_text(value):
                                codes.append((where, node.lineno, ast.unparse(value)))
                if name in ("add", "FieldError", "of") and len(node.args) >= 2:
                    if _is_text(node.args[1]):
                        texts.append((where, node.lineno, f"code {ast.unparse(node.args[1])}"))
                if name in DOMAIN_ERRORS | {"GraphQLError"} and node.args:
                    if _is_text(node.args[0]):
                        texts.append((where, node.lineno, ast.unparse(node.args[0])[:80]))
            if isinstance(node, ast.ClassDef):  # class SomeError(DomainError): code = "X"
                for item in node.body:
                    if (
                        isinstance(item, ast.Assign)
                        and [getattr(t, "id", None) for t in item.targets] == ["code"]
                        and _is_text(item.value)
                    ):
                        codes.append((where, item.lineno, ast.unparse(item.value)))
    return codes, texts


def test_every_code_raised_is_declared():
    declared = {m.value for m in _members()}
    codes, _ = _raise_sites()
    undeclared = [c for c in codes if ast.literal_eval(c[2]) not in declared]
    assert not undeclared, undeclared


def test_no_raise_site_writes_its_own_message():
    """Services and the API raise catalogue members: a text or a literal code at a raise
    site would bypass the catalogue (and its language)."""
    _, texts = _raise_sites()
    assert not texts, texts


def test_the_import_problems_built_in_sql_are_declared():
    from kinerja_saas.org import queries
    from kinerja_saas.org.errors import ImportRowError

    sql = " ".join(
        [
            *queries.CROSS_ROW_CHECKS,
            queries.SUPERVISOR_LEAVING,
            queries.CYCLE_CHECK,
            queries.CYCLE_UNREACHED,
        ]
    )
    found = set(re.findall(r"'([A-Z][A-Z_]{3,})'", sql))
    assert found and found <= {m.value for m in ImportRowError}, found


# --- over HTTP ----------------------------------------------------------------------------------

SUBMIT = """
mutation($code: String!, $answers: [SurveyAnswerInput!]!, $token: String!) {
  submitSurveyResponse(code: $code, answers: $answers, clientToken: $token) {
    accepted errors { field code message } } }
"""
LOGIN = """mutation($email: String!, $password: String!) {
  login(email: $email, password: $password) { accessToken errors { code message } } }"""


async def test_a_bad_survey_answer_comes_back_in_indonesian(api, region_a):
    campaign = await open_campaign(region_a)
    answers = [{"element": f"U{i}", "value": 3} for i in range(1, 10)]
    answers[4]["value"] = 5
    result = await api(
        SUBMIT, {"code": campaign.codes["ktp"], "answers": answers, "token": token()}
    )
    payload = result.data["submitSurveyResponse"]
    assert payload["accepted"] is False
    assert payload["errors"] == [
        {
            "field": "answers.U5",
            "code": "OUT_OF_RANGE",
            "message": "Jawaban unsur U5 harus di antara 1 dan 4.",
        },
        {"field": "answers", "code": "INCOMPLETE", "message": "Semua 9 unsur wajib dijawab."},
    ]


async def test_an_unknown_survey_code_comes_back_in_indonesian(api):
    result = await api(
        "query($c: String!) { surveyForm(code: $c) { regionName } }",
        {"c": "no-such-code-0123456789"},
    )
    assert result.codes == ["UNKNOWN_CODE"]
    assert result.errors[0]["message"] == "Tidak ada survei dengan kode ini."


async def test_a_suspended_region_comes_back_in_indonesian(api, region_a, settings):
    access = region_a.token(Role.REGION_ADMIN, settings)
    await update_region(region_a.id, status=RegionStatus.SUSPENDED)
    refused = await api("{ employees(first: 1) { totalCount } }", token=access)
    assert refused.codes == ["REGION_SUSPENDED"]
    assert refused.errors[0]["message"] == "Wilayah ini sedang dinonaktifkan."
    login = await api(
        LOGIN, {"email": region_a.accounts[Role.EMPLOYEE].email, "password": PASSWORD}
    )
    assert login.data["login"]["errors"] == [
        {"code": "REGION_SUSPENDED", "message": "Wilayah ini sedang dinonaktifkan."}
    ]


async def test_a_malformed_http_request_comes_back_in_indonesian(http):
    response = await http.post(
        "/graphql", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert error["message"] == "Permintaan tidak valid: isi permintaan bukan JSON yang valid."
