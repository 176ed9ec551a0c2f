"""The platform's own public survey page, /s/{code}, and the region admin's QR codes.

Plain server-rendered HTML (Jinja2, autoescaped: region admins write the labels) for a
slow phone: no JavaScript, no external fonts or files, the CSS inline. The handlers only
translate between HTML forms and the service functions the GraphQL API calls
(`public.form`, `public.submit`, `check_submission`), so validation, rate limits and
idempotency are the same as `submitSurveyResponse`'s.

Cross-site posting: the form carries a token signed for its code (form_token.py), which is
also the response's clientToken; a POST whose Origin (or Sec-Fetch-Site) names another
site is refused before anything else.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

from asyncpg.exceptions import ForeignKeyViolationError
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup
from redis.asyncio import Redis
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from kinerja_saas.auth.errors import BearerError
from kinerja_saas.auth.revocation import RevocationWatch
from kinerja_saas.auth.tokens import decode_access
from kinerja_saas.errors import (
    AuthenticationFailed,
    CommonError,
    ErrorCode,
    FieldError,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from kinerja_saas.indonesian import long_date
from kinerja_saas.ratelimit import client_ip
from kinerja_saas.settings import Settings
from kinerja_saas.surveys import admin, form_token, page_texts, public, qr
from kinerja_saas.surveys.errors import SurveyError
from kinerja_saas.surveys.ratelimit import RateLimited, check_submission, check_unknown_code
from kinerja_saas.surveys.rules import PROFILE_FIELDS
from tenants.context import TenantUnavailable, tenant_transaction

TEMPLATES = Path(__file__).parent.parent / "surveys" / "templates"
MAX_FORM_FIELDS = 100  # 9 answers, 4 profile fields, a suggestion, ≤ 10 extra answers, the token
_ANSWER_KEY = re.compile(r"U[0-9]{1,2}")
EXTRA_PREFIX = "q_"

_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(default=True, default_for_string=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_CSS = Markup((TEMPLATES / "skm.css").read_text(encoding="utf-8").strip())  # our file: safe
_CSS_HASH = base64.b64encode(hashlib.sha256(_CSS.encode()).digest()).decode()
_PAGE_HEADERS = {
    # Each visitor needs a fresh token: no shared cache may keep the form.
    "cache-control": "no-store",
    "content-security-policy": (
        f"default-src 'none'; style-src 'sha256-{_CSS_HASH}'; img-src data:; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "x-content-type-options": "nosniff",
    # Not no-referrer: browsers then send `Origin: null` with the form's own POST.
    "referrer-policy": "same-origin",
}


def _client_ip(request: Request) -> str:
    return client_ip(request)  # the same address as the API's limits count


class SurveyPages:
    def __init__(
        self, settings: Settings, redis: Redis | None, revocations: RevocationWatch | None = None
    ) -> None:
        self.settings = settings
        self.redis = redis
        # The API's watch: a logged-out or deactivated admin's access token is refused here
        # within the same seconds as on /graphql (kinerja_saas/auth/revocation.py).
        self.revocations = revocations or RevocationWatch(settings)

    @property
    def routes(self) -> list[Route]:
        return [
            Route("/s/{code}", self.form_page, methods=["GET", "POST"]),
            Route("/s/{code}/terima-kasih", self.thanks_page, methods=["GET"]),
            Route(
                "/surveys/campaigns/{campaign_id:int}/services/{service_id:int}/qr.{kind}",
                self.qr_code,
                methods=["GET"],
            ),
        ]

    # --- pages ---------------------------------------------------------------------------

    def _page(self, template: str, status: int = 200, headers=None, **context) -> HTMLResponse:
        html = _env.get_template(template).render(css=_CSS, **context)
        return HTMLResponse(html, status_code=status, headers={**_PAGE_HEADERS, **(headers or {})})

    def _message(self, status: int, title: str, text: str, headers=None) -> HTMLResponse:
        return self._page("message.html", status, headers, title=title, text=text)

    async def _target(self, request: Request, code: str) -> public.CodeTarget | HTMLResponse:
        target = await public.resolve_code(code)
        return target if target is not None else await self._unknown_code(request)

    async def _unknown_code(self, request: Request) -> HTMLResponse:
        if self.redis is not None:
            try:
                await check_unknown_code(self.redis, ip=_client_ip(request))
            except RateLimited as exc:
                return self._rate_limited_page(exc.retry_after, zone=None)
        return self._not_found()

    def _not_found(self) -> HTMLResponse:
        return self._message(
            404,
            "Survei tidak ditemukan",
            "Alamat atau kode QR ini tidak dikenal. Periksa kembali tautannya, atau pindai "
            "ulang kode QR yang terpasang di loket layanan.",
        )

    def _gone(self) -> HTMLResponse:
        """The code was known a moment ago; its campaign or service is gone since."""
        return self._message(
            410,
            "Survei tidak tersedia lagi",
            "Survei untuk kode QR ini sudah tidak tersedia. Terima kasih atas perhatian Anda.",
        )

    async def _form_of(self, target: public.CodeTarget) -> public.Form | HTMLResponse:
        """The form, or the page saying why there is none: the region was suspended (404, as
        its codes are unknown now) or the campaign or service deleted (410) between the
        code's lookup and this read."""
        try:
            async with tenant_transaction(target.tenant_id):
                return await public.form(target)
        except TenantUnavailable:
            return self._not_found()
        except NotFound:
            return self._gone()

    def _closed(self, fm: public.Form) -> HTMLResponse:
        where = f"{fm.service_name} — {fm.unit_name}, {fm.region_name}"
        if fm.today() < fm.opens_on:
            return self._message(
                403,
                "Survei belum dibuka",
                f"Survei {where} dibuka mulai {long_date(fm.opens_on)}.",
            )
        return self._message(
            410,
            "Survei sudah ditutup",
            f"Survei {where} ditutup pada {long_date(fm.closes_on)}. "
            "Terima kasih atas perhatian Anda.",
        )

    def _rate_limited_page(self, retry_after: int, zone: str | None) -> HTMLResponse:
        return self._message(
            429,
            "Terlalu banyak permintaan",
            self._retry_text(retry_after, zone),
            headers={"retry-after": str(retry_after)},
        )

    @staticmethod
    def _retry_text(retry_after: int, zone: str | None) -> str:
        text = (
            "Terlalu banyak tanggapan dari jaringan Anda atau untuk layanan ini. "
            f"Silakan coba lagi dalam {page_texts.wait_text(retry_after)}"
        )
        if zone is not None:
            at = datetime.now(ZoneInfo(zone)) + timedelta(seconds=retry_after)
            text += f" (sekitar pukul {page_texts.clock_text(at, zone)})"
        return text + "."

    def _refused(
        self,
        render: Callable[..., HTMLResponse],
        fm: Any,
        code: str,
        *,
        token: str,
        token_ok: bool,
        values: dict,
        errors: list[FieldError],
        limited: RateLimited | None,
        timezone: str,
    ) -> HTMLResponse:
        """A public form (`render`: the survey's or the complaint's) shown again after its
        POST was refused: over a rate limit (429 with retry-after, the typed values kept), a
        stale or forged form token (400, a fresh token), otherwise invalid input (422)."""
        if limited is not None:
            return render(
                fm,
                code,
                token=token if token_ok else form_token.issue(self._secret, code),
                values=values,
                notice=self._retry_text(limited.retry_after, timezone),
                status=429,
                headers={"retry-after": str(limited.retry_after)},
            )
        if not token_ok:
            return render(
                fm,
                code,
                token=form_token.issue(self._secret, code),
                values=values,
                notice=page_texts.TOKEN_REFUSED,
                status=400,
            )
        return render(fm, code, token=token, values=values, errors=errors, status=422)

    def _form(
        self,
        fm: public.Form,
        code: str,
        *,
        token: str,
        values: dict | None = None,
        errors: list[FieldError] | None = None,
        notice: str | None = None,
        status: int = 200,
        headers=None,
    ) -> HTMLResponse:
        errors = errors or []
        messages = {
            e.field: page_texts.field_message(
                e,
                suggestion_max_length=fm.suggestion_max_length,
                extra_max=public.EXTRA_ANSWER_MAX,
            )
            for e in errors
            if e.field
        }
        shown = {f"answers.{e.code}" for e in fm.elements} | {
            f"profile.{f}" for f in fm.profile_fields
        }
        shown |= {f"extraAnswers.{q['code']}" for q in fm.extra_questions}
        shown |= {"suggestion", "answers"}  # answers: INCOMPLETE, told by the summary
        # Errors of fields the page does not show (a hand-made POST) go into the summary.
        stray = [messages[f] for f in messages if f not in shown]
        return self._page(
            "form.html",
            status,
            headers,
            fm=fm,
            action=f"/s/{quote(code, safe='')}",
            token=token,
            values=values or {"answers": {}, "profile": {}, "extra": {}, "suggestion": ""},
            messages=messages,
            summary=page_texts.summary(errors) if errors else None,
            stray=stray,
            notice=notice,
            extra_max=public.EXTRA_ANSWER_MAX,
            closes_on=long_date(fm.closes_on),
            profile=[
                (
                    name,
                    page_texts.PROFILE_LABELS[name],
                    [(v, page_texts.PROFILE_VALUE_LABELS.get(v, v)) for v in PROFILE_FIELDS[name]],
                )
                for name in PROFILE_FIELDS
                if name in fm.profile_fields
            ],
        )

    async def form_page(self, request: Request) -> Response:
        code = request.path_params["code"]
        if request.method == "POST":
            return await self._submit(request, code)
        target = await self._target(request, code)
        if isinstance(target, Response):
            return target
        fm = await self._form_of(target)
        if isinstance(fm, Response):
            return fm
        if not fm.is_open:
            return self._closed(fm)
        return self._form(fm, code, token=form_token.issue(self._secret, code))

    @property
    def _secret(self) -> str:
        return self.settings.jwt_secret or ""

    def _cross_site(self, request: Request) -> bool:
        """A browser names the page a POST comes from; only our own host (or the public
        URL's, behind a proxy) may post. Clients that send no Origin (curl) pass: the
        signed token still binds the post to a form this platform served."""
        if request.headers.get("sec-fetch-site") == "cross-site":
            return True
        origin = request.headers.get("origin")
        if origin is None:
            return False
        own = {request.headers.get("host", "")}
        if platform := self.settings.platform_url():
            own.add(urlsplit(platform).netloc)
        return urlsplit(origin).netloc not in own  # "null" (an opaque origin) included

    async def _submit(self, request: Request, code: str) -> Response:
        if self._cross_site(request):
            return self._message(
                403,
                "Pengiriman ditolak",
                "Formulir survei hanya dapat dikirim dari halaman survei ini. Buka kembali "
                "tautan survei atau pindai ulang kode QR-nya.",
            )
        found = await public.resolve_code_with_rules(code)  # the rules too: one round trip
        if found is None:
            return await self._unknown_code(request)
        target, rules = found
        async with request.form(max_files=0, max_fields=MAX_FORM_FIELDS) as data:
            values, submission_fields = _read_form(data)
            token = str(data.get("token") or "")
        try:
            async with tenant_transaction(target.tenant_id):
                limited: RateLimited | None = None
                if self.redis is not None:
                    try:
                        await check_submission(
                            self.redis,
                            tenant_id=target.tenant_id,
                            code=code,
                            ip=_client_ip(request),
                            per_ip_hour=rules.per_ip_per_hour,
                            per_code_minute=self.settings.survey_rate_limit_per_code_per_minute,
                            per_code_client_minute=self.settings.survey_rate_limit_per_code_client_per_minute,
                        )
                    except RateLimited as exc:
                        limited = exc
                token_ok = form_token.is_valid(self._secret, code, token)
                errors: list[FieldError] = []
                if limited is None and token_ok:
                    try:
                        async with in_transaction():  # a savepoint: a failure writes nothing
                            await public.submit(
                                target,
                                public.Submission(client_token=token, **submission_fields),
                                rules,
                            )
                        return RedirectResponse(f"/s/{quote(code, safe='')}/terima-kasih", 303)
                    except ValidationFailed as exc:
                        errors = exc.errors
                    except IntegrityError as exc:
                        # The campaign's service went since the lookup (the response's key
                        # refers to it); the savepoint took back what was written.
                        if not isinstance(exc.__cause__, ForeignKeyViolationError):
                            raise
                        return self._gone()
                fm = await public.form(target)
        except TenantUnavailable:  # suspended since the lookup: its codes are unknown now
            return self._not_found()
        except NotFound:  # the campaign or service was deleted since the lookup
            return self._gone()
        if any(e.field == "code" and e.code == "CAMPAIGN_CLOSED" for e in errors) or (
            not fm.is_open
        ):
            return self._closed(fm)
        return self._refused(
            self._form,
            fm,
            code,
            token=token,
            token_ok=token_ok,
            values=values,
            errors=errors,
            limited=limited,
            timezone=fm.timezone,
        )

    async def thanks_page(self, request: Request) -> Response:
        code = request.path_params["code"]
        target = await self._target(request, code)
        if isinstance(target, Response):
            return target
        fm = await self._form_of(target)
        if isinstance(fm, Response):
            return fm
        return self._page(
            "thanks.html", fm=fm, complaint_link=f"/s/{quote(code, safe='')}/pengaduan"
        )

    # --- QR codes (region admin) ---------------------------------------------------------

    async def qr_code(self, request: Request) -> Response:
        """The QR code of a campaign's service, PNG (`?scale=` pixels per module) or SVG.
        Authorization: Bearer <access token> of the region's REGION_ADMIN."""
        kind = request.path_params["kind"]
        if kind not in ("png", "svg"):
            return _api_error(404, CommonError.NOT_FOUND.value, SurveyError.QR_KIND.render())
        try:
            actor = decode_access(_bearer(request), self.settings.jwt_verification_secrets)
            await self.revocations.check(actor)
            if actor.tenant_id is None:
                raise PermissionDenied(CommonError.FORBIDDEN)
            admin.require_admin(actor)
        except AuthenticationFailed as exc:
            return _api_error(401, exc.code, exc.message, {"www-authenticate": "Bearer"})
        except PermissionDenied as exc:
            return _api_error(403, exc.code, exc.message)
        scale = request.query_params.get("scale", str(qr.PNG_SCALE_DEFAULT))
        if not scale.isdigit() or not 1 <= int(scale) <= qr.PNG_SCALE_MAX:
            return _api_error(
                400,
                CommonError.OUT_OF_RANGE.value,
                CommonError.OUT_OF_RANGE.render("scale", min=1, max=qr.PNG_SCALE_MAX),
            )
        platform = self.settings.platform_url(str(request.base_url))
        if not platform:
            return _coded_error(503, SurveyError.NO_PUBLIC_URL)
        campaign_id = request.path_params["campaign_id"]
        service_id = request.path_params["service_id"]
        try:
            async with tenant_transaction(actor.tenant_id):
                rows = await admin.campaign_services([campaign_id])
        except AuthenticationFailed as exc:  # the region was suspended since the login
            return _api_error(401, exc.code, exc.message)
        found = next((r for r in rows if r["service_id"] == service_id), None)
        if found is None:
            return _api_error(
                404, CommonError.NOT_FOUND.value, CommonError.NOT_FOUND.render("serviceId")
            )
        url = qr.survey_url(platform, found["code"])
        name = f"skm-{campaign_id}-{service_id}.{kind}"
        headers = {
            "content-disposition": f'attachment; filename="{name}"',
            "cache-control": "private, no-cache",
            "x-content-type-options": "nosniff",
            "x-survey-url": url,
        }
        if kind == "png":
            return Response(qr.png(url, scale=int(scale)), media_type="image/png", headers=headers)
        title = f"Survei Kepuasan Masyarakat — {found['name']} ({found['unit_name']})"
        return Response(qr.svg(url, title=title), media_type="image/svg+xml", headers=headers)


def _read_form(data) -> tuple[dict, dict]:
    """The posted fields, as the page re-renders them and as a Submission takes them."""
    answers: dict[str, object] = {}
    shown_answers: dict[str, str] = {}
    for key in {k for k in data if _ANSWER_KEY.fullmatch(k)}:
        given = data.getlist(key)
        raw = str(given[0])
        shown_answers[key] = raw
        # A repeated element keeps an impossible value, so it is reported (as the API does).
        if len(given) > 1:
            answers[key] = 0
        else:
            answers[key] = int(raw) if raw.isdigit() and len(raw) <= 2 else raw
    profile = {name: (str(data.get(name) or "") or None) for name in PROFILE_FIELDS}
    suggestion = str(data.get("suggestion") or "").replace("\r\n", "\n")
    extra = {
        k[len(EXTRA_PREFIX) :]: str(v).replace("\r\n", "\n")
        for k, v in data.multi_items()
        if k.startswith(EXTRA_PREFIX)
    }
    shown = {
        "answers": shown_answers,
        "profile": {k: v for k, v in profile.items() if v},
        "suggestion": suggestion,
        "extra": extra,
    }
    return shown, {
        "answers": answers,
        "profile": profile,
        "suggestion": suggestion or None,
        "extra_answers": extra,
    }


def _bearer(request: Request) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationFailed(BearerError.TOKEN_INVALID)
    return token.strip()


def _coded_error(status: int, error: ErrorCode, **params) -> JSONResponse:
    return _api_error(status, error.value, error.render(**params))


def _api_error(status: int, code: str, message: str, headers=None) -> JSONResponse:
    return JSONResponse(
        {"errors": [{"message": message, "extensions": {"code": code}}]},
        status_code=status,
        headers=headers,
    )
