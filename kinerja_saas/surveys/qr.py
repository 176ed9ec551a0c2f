"""QR codes of the public survey page: a service's code as the absolute URL of /s/{code},
for the region admin to print at the counter."""

from __future__ import annotations

import io
from urllib.parse import quote

import segno

PNG_SCALE_DEFAULT = 10  # pixels per module: a version-4 code is 490 px with its border
PNG_SCALE_MAX = 40
BORDER = 4  # the quiet zone the QR standard asks for, in modules


def survey_url(public_url: str, code: str) -> str:
    return f"{public_url.rstrip('/')}/s/{quote(code, safe='')}"


def _symbol(url: str) -> segno.QRCode:
    # Level M at least (segno raises it when the version has room): printed codes get dirty.
    return segno.make(url, error="m", micro=False)


def png(url: str, *, scale: int = PNG_SCALE_DEFAULT) -> bytes:
    out = io.BytesIO()
    _symbol(url).save(out, kind="png", scale=scale, border=BORDER)
    return out.getvalue()


def svg(url: str, *, title: str | None = None) -> bytes:
    out = io.BytesIO()
    # A viewBox without fixed pixels: it prints sharp at any size.
    _symbol(url).save(
        out,
        kind="svg",
        scale=1,
        border=BORDER,
        omitsize=True,
        title=title,
        light="#fff",  # not transparent: printed on coloured paper it must still scan
        svgclass=None,
        lineclass=None,
        xmldecl=True,
    )
    return out.getvalue()
