"""One storage interface for generated files, two backends:

- `FolderStorage` (dev, tests, a single machine): files under <data_dir>/documents, handed
  out through links this platform signs (HMAC-SHA256 over the key, file name, type and
  expiry, with the JWT secret) and serves itself at /documents/file/{token}
  (kinerja_saas/runtime/document_pages.py);
- `S3Storage` (production): S3-compatible object storage through obstore (the Rust
  object_store crate: one client for AWS S3, MinIO, R2, GCS), handed out as presigned
  GET URLs that expire.

Keys name the region first (`t{tenant}/j{job}/{file}`): a link for one region's file can
never be made to name another's, as the key is inside the signature.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import os
import re
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Protocol
from urllib.parse import quote

import obstore
from obstore.exceptions import NotFoundError
from obstore.store import S3Store

from kinerja_saas.settings import Settings

FILE_ROUTE = "/documents/file/"
_KEY_SHAPE = re.compile(r"t[0-9]+/j[0-9]+/[A-Za-z0-9-]+\.(pdf|zip)")


def object_key(tenant_id: int, job_id: int, filename: str) -> str:
    key = f"t{tenant_id}/j{job_id}/{filename}"
    if not _KEY_SHAPE.fullmatch(key):
        raise ValueError(f"not a document key: {key!r}")
    return key


class DocumentStorage(Protocol):
    async def put(self, key: str, data: bytes, *, content_type: str, filename: str) -> None: ...

    async def get(self, key: str) -> bytes | None: ...

    async def link(self, key: str, *, filename: str, content_type: str, base_url: str) -> str: ...


# --- signed links of the folder backend --------------------------------------------------


@dataclass(frozen=True)
class SignedFile:
    key: str
    filename: str
    content_type: str
    expires: int  # unix seconds

    @property
    def tenant_id(self) -> int:
        return int(self.key.split("/", 1)[0][1:])


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: str, body: str) -> str:
    return _b64(
        hmac.new(secret.encode(), b"kinerja-document:" + body.encode(), hashlib.sha256).digest()
    )


def sign_file(secret: str, file: SignedFile) -> str:
    body = _b64(
        json.dumps(
            [file.key, file.filename, file.content_type, file.expires], separators=(",", ":")
        ).encode()
    )
    return f"{body}.{_mac(secret, body)}"


class LinkRefused(Exception):
    def __init__(self, reason: str) -> None:  # 'INVALID' or 'EXPIRED'
        super().__init__(reason)
        self.reason = reason


def verify_file(secrets: tuple[str, ...], token: str, *, now: float | None = None) -> SignedFile:
    """The file a token names; LinkRefused('INVALID') for a forged or damaged token (any of
    the current and previous secrets), LinkRefused('EXPIRED') after its time."""
    body, _, mac = (token or "").partition(".")
    if not body or not mac or len(token) > 2048:
        raise LinkRefused("INVALID")
    if not any(hmac.compare_digest(mac, _mac(s, body)) for s in secrets):
        raise LinkRefused("INVALID")
    try:
        key, filename, content_type, expires = json.loads(_unb64(body))
    except (ValueError, TypeError) as exc:
        raise LinkRefused("INVALID") from exc
    if not _KEY_SHAPE.fullmatch(str(key)):
        raise LinkRefused("INVALID")
    if int(expires) < (now if now is not None else time.time()):
        raise LinkRefused("EXPIRED")
    return SignedFile(str(key), str(filename), str(content_type), int(expires))


class FolderStorage:
    def __init__(self, root: Path, *, secret: str, link_seconds: int) -> None:
        self.root = root
        self.secret = secret
        self.link_seconds = link_seconds

    def _path(self, key: str) -> Path:
        if not _KEY_SHAPE.fullmatch(key):
            raise ValueError(f"not a document key: {key!r}")
        return self.root / key

    async def put(self, key: str, data: bytes, *, content_type: str, filename: str) -> None:
        path = self._path(key)

        def write() -> None:
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_suffix(path.suffix + f".{os.getpid()}.part")
            partial.write_bytes(data)
            partial.replace(path)  # readers never see half a file

        await asyncio.to_thread(write)

    async def get(self, key: str) -> bytes | None:
        path = self._path(key)
        try:
            return await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError:
            return None

    async def link(self, key: str, *, filename: str, content_type: str, base_url: str) -> str:
        token = sign_file(
            self.secret,
            SignedFile(key, filename, content_type, int(time.time()) + self.link_seconds),
        )
        return f"{base_url.rstrip('/')}{FILE_ROUTE}{quote(token, safe='.')}"


class S3Storage:
    def __init__(self, settings: Settings) -> None:
        assert settings.s3_bucket is not None  # Settings refuses s3 without a bucket
        options = {"allow_http": True} if (settings.s3_endpoint or "").startswith("http:") else {}

        def store(endpoint: str | None) -> S3Store:
            return S3Store(
                settings.s3_bucket,
                endpoint=endpoint,
                region=settings.s3_region,
                access_key_id=settings.s3_access_key_id,
                secret_access_key=settings.s3_secret_access_key,
                virtual_hosted_style_request=False,  # MinIO serves path-style
                client_options=options,  # type: ignore[arg-type]
            )

        self.store = store(settings.s3_endpoint)
        # Links are signed for the address browsers use (the signature covers the host).
        self.signer = store(settings.s3_public_endpoint or settings.s3_endpoint)
        self.link_seconds = settings.document_link_seconds

    async def put(self, key: str, data: bytes, *, content_type: str, filename: str) -> None:
        await obstore.put_async(
            self.store,
            key,
            data,
            attributes={
                "Content-Type": content_type,
                "Content-Disposition": f'attachment; filename="{filename}"',
            },
        )

    async def get(self, key: str) -> bytes | None:
        try:
            result = await obstore.get_async(self.store, key)
        except NotFoundError:
            return None
        return bytes(await result.bytes_async())

    async def link(self, key: str, *, filename: str, content_type: str, base_url: str) -> str:
        return await obstore.sign_async(
            self.signer, "GET", key, timedelta(seconds=self.link_seconds)
        )


def storage_for(settings: Settings) -> DocumentStorage:
    if settings.document_storage == "s3":
        return S3Storage(settings)
    return FolderStorage(
        settings.data_dir / "documents",
        secret=settings.jwt_secret or "",
        link_seconds=settings.document_link_seconds,
    )
