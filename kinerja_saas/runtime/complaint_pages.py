"""The public complaint pages: /s/{code}/pengaduan (the form, on the survey's code, linked
from the survey page) and /pengaduan?kode=… (a complaint's status by its tracking code).

Like the survey page (survey_pages.py, whose rendering, headers and checks these reuse):
plain server-rendered HTML, no JavaScript; the handlers only translate between HTML forms
and the functions `submitComplaint` and `complaintStatus` call, so validation, rate limits,
idempotency (the signed form token is the clientToken) and what the public may see are the
API's. The status page shows what `complaintStatus` shows: never the contact or the text."""

from __future__ import annotations

from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route
from tortoise.transactions import in_transaction

from kinerja_saas.complaints import public, ratelimit
from kinerja_saas.complaints.rules import CATEGORIES, STATUS_LABELS, show_tracking_code
from kinerja_saas.errors import FieldError, NotFound, ValidationFailed
from kinerja_saas.indonesian import long_date
from kinerja_saas.ratelimit import RateLimited
from kinerja_saas.runtime.survey_pages import SurveyPages, _client_ip
from kinerja_saas.surveys import form_token
from tenants.context import TenantUnavailable, tenant_transaction

MAX_FORM_FIELDS = 10
_SHOWN = ("category", "text", "contact")


class ComplaintPages(SurveyPages):
    @property
    def routes(self) -> list[Route]:
        return [
            Route("/s/{code}/pengaduan", self.complaint_page, methods=["GET", "POST"]),
            Route("/pengaduan", self.status_page, methods=["GET"]),
        ]

    def _complaint_form(
        self,
        fm: public.ComplaintForm,
        code: str,
        *,
        token: str,
        values: dict | None = None,
        errors: list[FieldError] | None = None,
        notice: str | None = None,
        status: int = 200,
        headers=None,
    ) -> HTMLResponse:
        messages = {e.field: e.message for e in errors or [] if e.field}
        return self._page(
            "complaint_form.html",
            status,
            headers,
            fm=fm,
            action=f"/s/{quote(code, safe='')}/pengaduan",
            token=token,
            values=values or {"category": "", "text": "", "contact": ""},
            messages=messages,
            # Errors of fields the page does not show (a hand-made POST, the token).
            stray=[e.message for e in errors or [] if e.field not in _SHOWN],
            notice=notice,
        )

    async def complaint_page(self, request: Request) -> Response:
        code = request.path_params["code"]
        if request.method == "POST":
            return await self._send(request, code)
        target = await self._target(request, code)
        if isinstance(target, Response):
            return target
        try:
            async with tenant_transaction(target.tenant_id):
                fm = await public.form(target)
        except TenantUnavailable:
            return self._not_found()
        except NotFound:
            return self._gone()
        return self._complaint_form(fm, code, token=form_token.issue(self._secret, code))

    async def _send(self, request: Request, code: str) -> Response:
        if self._cross_site(request):
            return self._message(
                403,
                "Pengiriman ditolak",
                "Pengaduan hanya dapat dikirim dari halaman pengaduan ini. Buka kembali "
                "tautannya atau pindai ulang kode QR layanan.",
            )
        target = await public.resolve_code(code)
        if target is None:
            return await self._unknown_code(request)
        async with request.form(max_files=0, max_fields=MAX_FORM_FIELDS) as data:
            values = {name: str(data.get(name) or "").replace("\r\n", "\n") for name in _SHOWN}
            token = str(data.get("token") or "")
        errors: list[FieldError] = []
        limited: RateLimited | None = None
        try:
            async with tenant_transaction(target.tenant_id):
                ctx = await public.context(target)
                if self.redis is not None:
                    try:
                        await ratelimit.check_submission(
                            self.redis,
                            tenant_id=target.tenant_id,
                            code=code,
                            ip=_client_ip(request),
                            per_ip_hour=ctx.settings.rate_limit_per_ip_per_hour,
                        )
                    except RateLimited as exc:
                        limited = exc
                token_ok = form_token.is_valid(self._secret, code, token)
                if limited is None and token_ok:
                    try:
                        async with in_transaction():  # a savepoint: a failure writes nothing
                            sent = await public.submit(
                                target,
                                public.Submission(
                                    category=values["category"],
                                    text=values["text"],
                                    client_token=token,
                                    contact=values["contact"] or None,
                                ),
                                ctx,
                            )
                        fm = await public.form(target)
                        shown = show_tracking_code(sent.tracking_code)
                        return self._page(
                            "complaint_sent.html",
                            fm=fm,
                            tracking_code=shown,
                            due_on=long_date(sent.due_on),
                            status_link=f"/pengaduan?kode={quote(shown)}",
                        )
                    except ValidationFailed as exc:
                        errors = exc.errors
                fm = await public.form(target)
        except TenantUnavailable:
            return self._not_found()
        except NotFound:
            return self._gone()
        return self._refused(
            self._complaint_form,
            fm,
            code,
            token=token,
            token_ok=token_ok,
            values=values,
            errors=errors,
            limited=limited,
            timezone=ctx.timezone,
        )

    async def status_page(self, request: Request) -> Response:
        typed = request.query_params.get("kode", "")[:40]
        if not typed.strip():
            return self._page("complaint_status.html", st=None, typed="", notice=None)
        ip = _client_ip(request)
        try:
            if self.redis is not None:
                await ratelimit.check_lookup(self.redis, ip=ip)
            target = await public.resolve_tracking_code(typed)
            if target is None:
                if self.redis is not None:
                    await ratelimit.check_unknown_tracking_code(self.redis, ip=ip)
                return self._unknown_tracking(typed)
        except RateLimited as exc:
            return self._rate_limited_page(exc.retry_after, zone=None)
        try:
            async with tenant_transaction(target.tenant_id):
                st = await public.status(target)
        except (TenantUnavailable, NotFound):
            return self._unknown_tracking(typed)
        return self._page(
            "complaint_status.html",
            st=st,
            typed=typed,
            notice=None,
            code=show_tracking_code(st.tracking_code),
            category=CATEGORIES[st.category],
            status_label=STATUS_LABELS[st.status],
            received_on=long_date(st.received_on),
            due_on=long_date(st.due_on),
            answered_on=long_date(st.answered_on) if st.answered_on else "",
        )

    def _unknown_tracking(self, typed: str) -> HTMLResponse:
        return self._page(
            "complaint_status.html",
            404,
            st=None,
            typed=typed,
            notice="Kode pelacakan ini tidak dikenal. Periksa kembali 12 huruf dan angkanya.",
        )
