"""The public verification page of printed documents, /v/{code}, and the download of
generated files behind signed links, /documents/file/{token} (folder storage).

Both are routes of the one Starlette app, behind the same middleware as /graphql and the
survey page (client address, request id, gzip, body limit), and both share the API's
admission control: the page's database work runs in one of the document's region's
slots (kinerja_saas/admission.py), so a flood of verifications of one region waits its
turn like that region's GraphQL operations and leaves the others theirs. A request that
names a region (the `X-Region` header of a region's frontend) is answered only for that
region: a code or link of another region is unknown there.

The page shows what the printed document's holder may show anyone: kind, region, period,
name and NIP, for evaluations the predikat, and whether the content is still current
(the content is gathered again and hashed as when the document was made). Unknown codes
count against the same per-address limit as the survey page's unknown codes."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup
from redis.asyncio import Redis
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from kinerja_saas.admission import FairShare
from kinerja_saas.documents import service
from kinerja_saas.documents.storage import (
    FILE_ROUTE,
    FolderStorage,
    LinkRefused,
    storage_for,
    verify_file,
)
from kinerja_saas.ratelimit import RateLimited, client_ip
from kinerja_saas.regions.queries import region_by_slug
from kinerja_saas.settings import Settings
from kinerja_saas.surveys.ratelimit import check_unknown_code
from tenants.context import TenantUnavailable, tenant_transaction

REGION_HEADER = "x-region"  # the GraphQL endpoint's header (schema/view.py)
TEMPLATES = Path(__file__).parent.parent / "documents" / "templates"
_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(default=True, default_for_string=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_CSS = Markup((TEMPLATES / "page.css").read_text(encoding="utf-8").strip())  # our file: safe
_CSS_HASH = base64.b64encode(hashlib.sha256(_CSS.encode()).digest()).decode()
_PAGE_HEADERS = {
    "cache-control": "no-store",  # "current version" is answered now, not from a cache
    "content-security-policy": (
        f"default-src 'none'; style-src 'sha256-{_CSS_HASH}'; frame-ancestors 'none'; "
        "base-uri 'none'; form-action 'none'"
    ),
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-robots-tag": "noindex",
}
NOT_FOUND_TEXT = (
    "Kode verifikasi ini tidak dikenal. Periksa kembali kode yang tercetak di bagian bawah "
    "dokumen (12 huruf dan angka), atau pindai ulang kode QR-nya."
)


class DocumentPages:
    def __init__(self, settings: Settings, redis: Redis | None, fair_share: FairShare) -> None:
        self.settings = settings
        self.redis = redis
        self.fair_share = fair_share

    @property
    def routes(self) -> list[Route]:
        return [
            Route("/v/{code}", self.verify_page, methods=["GET"]),
            Route(FILE_ROUTE + "{token}", self.file, methods=["GET"]),
        ]

    def _page(
        self, status: int, title: str, *, v=None, text: str = "", headers=None
    ) -> HTMLResponse:
        html = _env.get_template("verify.html").render(css=_CSS, title=title, v=v, text=text)
        return HTMLResponse(html, status_code=status, headers={**_PAGE_HEADERS, **(headers or {})})

    async def _named_region(self, request: Request) -> int | bool | None:
        """The region the request names by header (its id), None when it names none,
        False when it names one that does not exist."""
        slug = request.headers.get(REGION_HEADER)
        if not slug:
            return None
        tenant = await region_by_slug(slug.strip().lower())
        return tenant.id if tenant is not None else False

    async def _unknown(self, request: Request) -> HTMLResponse:
        if self.redis is not None:
            try:
                await check_unknown_code(self.redis, ip=client_ip(request))
            except RateLimited as exc:
                return self._busy(exc.retry_after)
        return self._page(404, "Dokumen tidak ditemukan", text=NOT_FOUND_TEXT)

    def _busy(self, retry_after: int) -> HTMLResponse:
        return self._page(
            429,
            "Terlalu banyak permintaan",
            text=f"Silakan coba lagi dalam {retry_after} detik.",
            headers={"retry-after": str(retry_after)},
        )

    async def verify_page(self, request: Request) -> Response:
        target = await service.resolve_code(request.path_params["code"])
        named = await self._named_region(request)
        if target is None or (named is not None and named != target.tenant_id):
            return await self._unknown(request)
        try:
            async with self.fair_share.slots.slot(target.tenant_id):
                async with tenant_transaction(target.tenant_id):
                    found = await service.verify(target)
        except TenantUnavailable:  # suspended since the lookup: its codes are unknown now
            found = None
        except RateLimited as exc:  # the region's slots are all taken for too long
            return self._busy(exc.retry_after)
        if found is None:
            return self._page(404, "Dokumen tidak ditemukan", text=NOT_FOUND_TEXT)
        return self._page(200, "Verifikasi Dokumen Kinerja", v=found)

    async def file(self, request: Request) -> Response:
        """A generated file, for the holder of a link `documentJob.downloadUrl` signed."""
        storage = storage_for(self.settings)
        if not isinstance(storage, FolderStorage):
            return self._page(404, "Berkas tidak ditemukan", text="Tautan ini tidak dikenal.")
        try:
            signed = verify_file(
                self.settings.jwt_verification_secrets, request.path_params["token"]
            )
        except LinkRefused as exc:
            if exc.reason == "EXPIRED":
                return self._page(
                    410,
                    "Tautan kedaluwarsa",
                    text="Tautan unduhan ini sudah kedaluwarsa. Mintalah tautan baru dari "
                    "halaman dokumen di aplikasi.",
                )
            return self._page(403, "Tautan tidak sah", text="Tautan unduhan ini tidak sah.")
        named = await self._named_region(request)
        if named is not None and named != signed.tenant_id:
            return self._page(403, "Tautan tidak sah", text="Tautan unduhan ini tidak sah.")
        data = await storage.get(signed.key)
        if data is None:
            return self._page(404, "Berkas tidak ditemukan", text="Berkas ini sudah tidak ada.")
        return Response(
            data,
            media_type=signed.content_type,
            headers={
                "content-disposition": f'attachment; filename="{signed.filename}"',
                "cache-control": "private, no-store",
                "x-content-type-options": "nosniff",
            },
        )
