"""Reading the survey page and its QR codes in tests: the form token, a form's fieldset,
and the modules of a QR code decoded back from its PNG or SVG."""

from __future__ import annotations

import re
import struct
import xml.etree.ElementTree as ET
import zlib

import segno

TOKEN = re.compile(r'name="token" value="([A-Za-z0-9_-]+)"')


def form_token(html: str) -> str:
    found = TOKEN.search(html)
    assert found, "no token in the form"
    return found.group(1)


def fieldset(html: str, element: str) -> str:
    """The HTML of one element's fieldset (id="U3")."""
    found = re.search(rf'<fieldset[^>]* id="{element}".*?</fieldset>', html, re.S)
    assert found, f"no fieldset {element}"
    return found.group(0)


def full_answers(values=(3,) * 9) -> dict[str, str]:
    return {f"U{i}": str(v) for i, v in enumerate(values, 1)}


def expected_modules(url: str) -> list[list[bool]]:
    """What a QR code of `url` must show, as segno encodes it (level M or better)."""
    return [[bool(m) for m in row] for row in segno.make(url, error="m", micro=False).matrix]


def png_modules(data: bytes, *, scale: int, border: int = 4) -> list[list[bool]]:
    """Decodes a 1-bit grayscale PNG (segno's) into dark/light modules, checking the quiet
    zone is light."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
    assert header is not None
    width, height, depth, color, _, _, interlace = header
    assert (depth, color, interlace) == (1, 0, 0) and width == height
    raw, stride = zlib.decompress(idat), (width + 7) // 8
    rows, previous = [], bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            left = line[i - 1] if i else 0
            up, corner = previous[i], previous[i - 1] if i else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                pred = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                line[i] = (line[i] + pred) & 0xFF
        rows.append([not (line[x // 8] >> (7 - x % 8)) & 1 for x in range(width)])  # 0: dark
        previous = line
    size = width // scale
    assert size * scale == width
    modules = [
        [rows[r * scale + scale // 2][c * scale + scale // 2] for c in range(size)]
        for r in range(size)
    ]
    for r in range(size):
        for c in range(size):
            if min(r, c) < border or max(r, c) >= size - border:
                assert not modules[r][c], "the quiet zone must be light"
    return [row[border : size - border] for row in modules[border : size - border]]


def svg_modules(data: bytes, *, border: int = 4) -> tuple[list[list[bool]], ET.Element]:
    """Decodes segno's SVG (one path of horizontal runs) into modules."""
    root = ET.fromstring(data)
    ns = "{http://www.w3.org/2000/svg}"
    assert root.tag == f"{ns}svg"
    _, _, w, h = (int(v) for v in root.attrib["viewBox"].split())
    assert w == h
    size = w - 2 * border
    modules = [[False] * size for _ in range(size)]
    paths = [p for p in root.iter(f"{ns}path") if p.attrib.get("stroke")]
    assert len(paths) == 1
    x = y = 0.0
    for op, a, b in re.findall(r"([Mmh])(-?[\d.]+)(?:\s(-?[\d.]+))?", paths[0].attrib["d"]):
        if op == "M":
            x, y = float(a), float(b)
        elif op == "m":
            x, y = x + float(a), y + float(b)
        else:
            for col in range(int(x), int(x + float(a))):
                modules[int(y) - border][col - border] = True
            x += float(a)
    return modules, root
