"""Drawing the documents as PDF with ReportLab (pure: content in, bytes out; no I/O).

ReportLab because it is a pure-Python wheel that needs no system libraries (WeasyPrint
needs Pango/Cairo, Typst a binary per platform), is maintained since 2000, and its
Platypus tables break long plans across pages with repeated header rows. The layout
follows the annex of PermenPANRB 6/2022 (SKP; Dokumen Evaluasi Kinerja Pegawai): the
identity table of the parties, the work results with their indicators, the 7 BerAKHLAK
values, the ratings and predikat, and the signature blocks. Every page carries the
verification code and its QR code (drawn as vector squares from segno's matrix: sharp
when printed, no image library involved)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any
from xml.sax.saxutils import escape

import segno
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import (
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.flowables import Flowable

from kinerja_saas.documents import rules
from kinerja_saas.documents.generator import (
    BehaviourLine,
    Content,
    EvaluationDocument,
    Person,
    PlanDocument,
    RecapDocument,
    ResultLine,
)

MARGIN = 14 * mm
FOOTER = 24 * mm  # room for the QR code and the verification line
QR_SIZE = 18 * mm
WIDTH = A4[0] - 2 * MARGIN

_BASE = ParagraphStyle("base", fontName="Helvetica", fontSize=8.5, leading=10.5)
_SMALL = ParagraphStyle("small", parent=_BASE, fontSize=7.5, leading=9)
_BOLD = ParagraphStyle("bold", parent=_BASE, fontName="Helvetica-Bold")
_HEAD = ParagraphStyle("head", parent=_BOLD, alignment=TA_CENTER)
_TITLE = ParagraphStyle(
    "title", parent=_BOLD, fontSize=12, leading=15, alignment=TA_CENTER, spaceAfter=2
)
_SUBTITLE = ParagraphStyle("subtitle", parent=_BASE, fontSize=9, leading=12, alignment=TA_CENTER)
_CENTER = ParagraphStyle("center", parent=_BASE, alignment=TA_CENTER)
_GRID = [
    ("FONT", (0, 0), (-1, -1), "Helvetica", 8.5, 10.5),  # the plain string cells
    ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ("LEFTPADDING", (0, 0), (-1, -1), 3),
    ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ("TOPPADDING", (0, 0), (-1, -1), 2),
    ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
]
_HEADER_ROW = [("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8e8e8"))]


def _p(text: object, style: ParagraphStyle = _BASE) -> Paragraph:
    return Paragraph(escape(str(text)).replace("\n", "<br/>"), style)


def _short(text: str, column: float) -> Any:
    """A plain string cell when the text fits its column (`column`: share of the width) on
    one line — no paragraph layout, which is most of a document's render time — else a
    wrapping paragraph."""
    room = column * WIDTH - 6  # the cell's padding
    if "\n" not in text and stringWidth(text, "Helvetica", 8.5) <= room:
        return text
    return _p(text)


def _grid(
    rows: list[list[Any]], widths: Sequence[float], *, header: bool = True, extra=()
) -> Table:
    table = Table(rows, colWidths=[w * WIDTH for w in widths], repeatRows=1 if header else 0)
    table.setStyle(TableStyle([*_GRID, *(_HEADER_ROW if header else []), *extra]))
    return table


class QrCode(Flowable):
    """A QR code as vector squares (level M, the quiet zone the standard asks for)."""

    def __init__(self, data: str, size: float) -> None:
        super().__init__()
        self.matrix = segno.make(data, error="m", micro=False).matrix
        self.size = size
        self.width = self.height = size

    def draw(self) -> None:
        draw_qr(self.canv, self.matrix, 0, 0, self.size)


def draw_qr(canvas, matrix, x: float, y: float, size: float) -> None:
    """Each row's runs of dark modules as one rectangle (a third of the drawing operations
    of one square per module)."""
    modules = len(matrix) + 8  # 4 modules of quiet zone on each side
    cell = size / modules
    canvas.saveState()
    canvas.setFillColor(colors.white)
    canvas.rect(x, y, size, size, stroke=0, fill=1)
    canvas.setFillColor(colors.black)
    path = canvas.beginPath()
    for r, row in enumerate(matrix):
        c = 0
        while c < len(row):
            if not row[c]:
                c += 1
                continue
            start = c
            while c < len(row) and row[c]:
                c += 1
            path.rect(x + (start + 4) * cell, y + size - (r + 5) * cell, (c - start) * cell, cell)
    canvas.drawPath(path, stroke=0, fill=1)
    canvas.restoreState()


# --- pieces -------------------------------------------------------------------------------


def _heading(title: str, *lines: str) -> list[Flowable]:
    return [_p(title.upper(), _TITLE), *(_p(line, _SUBTITLE) for line in lines), Spacer(1, 4 * mm)]


def _section(text: str) -> list[Flowable]:
    return [Spacer(1, 3 * mm), _p(text.upper(), _BOLD), Spacer(1, 1.5 * mm)]


_PERSON_FIELDS = (
    ("NAMA", "name"),
    ("NIP", "nip"),
    ("PANGKAT/GOL. RUANG", "pangkat"),
    ("JABATAN", "position"),
    ("UNIT KERJA", "unit"),
)


def _position(person: Person | None) -> str:
    if person is None:
        return rules.DASH
    return f"{rules.capacity_prefix(person.capacity)}{person.position}"


def _value(person: Person | None, attr: str) -> str:
    if person is None:
        return rules.DASH
    return _position(person) if attr == "position" else str(getattr(person, attr))


def _parties(parties: Sequence[tuple[str, Person | None]]) -> Table:
    """The identity table: one block of five rows per party."""
    rows: list[list[Any]] = []
    style: list[tuple] = []
    for n, (label, who) in enumerate(parties, start=1):
        style.append(("SPAN", (1, len(rows)), (2, len(rows))))
        style.append(("BACKGROUND", (0, len(rows)), (-1, len(rows)), colors.HexColor("#e8e8e8")))
        rows.append([_p(n, _BOLD), _p(label.upper(), _BOLD), ""])
        for i, (field_label, attr) in enumerate(_PERSON_FIELDS, start=1):
            rows.append(["", f"{n}.{i} {field_label}", _short(_value(who, attr), 0.67)])
    return _grid(rows, (0.05, 0.28, 0.67), header=False, extra=style)


def _results(results: Sequence[ResultLine], *, evaluation: bool) -> Table:
    if evaluation:
        head = ["NO", "RENCANA HASIL KERJA", "ASPEK", "INDIKATOR KINERJA INDIVIDU", "TARGET",
                "REALISASI", "CAPAIAN"]  # fmt: skip
        widths: tuple[float, ...] = (0.05, 0.25, 0.1, 0.24, 0.12, 0.12, 0.12)
    else:
        head = ["NO", "RENCANA HASIL KERJA PIMPINAN YANG DIINTERVENSI", "RENCANA HASIL KERJA",
                "ASPEK", "INDIKATOR KINERJA INDIVIDU", "TARGET"]  # fmt: skip
        widths = (0.05, 0.2, 0.22, 0.1, 0.28, 0.15)
    rows: list[list[Any]] = [[_p(h, _HEAD) for h in head]]
    style: list[tuple] = []
    for group, letter in (("Utama", "A"), ("Tambahan", "B")):
        style.append(("SPAN", (0, len(rows)), (-1, len(rows))))
        rows.append([_p(f"{letter}. HASIL KERJA {group.upper()}", _BOLD)] + [""] * (len(head) - 1))
        chosen = [r for r in results if r.kind == group]
        if not chosen:
            style.append(("SPAN", (0, len(rows)), (-1, len(rows))))
            rows.append([_p("Tidak ada.")] + [""] * (len(head) - 1))
        for n, result in enumerate(chosen, start=1):
            first = len(rows)
            for ind in result.indicators or (None,):
                cells: list[Any] = [str(n), _p(result.text)]
                if not evaluation:
                    cells.insert(1, _p(result.supports or rules.DASH))
                if ind is None:
                    cells += [_p(rules.DASH)] * (len(head) - len(cells))
                else:
                    cells += [ind.aspect, _p(ind.text), _short(ind.target, 0.12)]
                    if evaluation:
                        cells += [
                            _short(ind.realisation or rules.DASH, 0.12),
                            _short(ind.achievement or rules.DASH, 0.12),
                        ]
                rows.append(cells)
            if len(rows) - first > 1:  # the result's own cells span its indicators
                spanned = (0, 1) if evaluation else (0, 1, 2)
                for col in spanned:
                    style.append(("SPAN", (col, first), (col, len(rows) - 1)))
                for r in range(first + 1, len(rows)):
                    for col in spanned:
                        rows[r][col] = ""
    return _grid(rows, widths, extra=style)


def _behaviours(values: Sequence[BehaviourLine], *, evaluation: bool) -> Table:
    if evaluation:
        rows: list[list[Any]] = [
            [_p(h, _HEAD) for h in ("NO", "PERILAKU KERJA", "RATING", "UMPAN BALIK")]
        ]
        widths: tuple[float, ...] = (0.05, 0.5, 0.18, 0.27)
    else:
        rows = [[_p(h, _HEAD) for h in ("NO", "PERILAKU KERJA", "EKSPEKTASI KHUSUS PIMPINAN")]]
        widths = (0.05, 0.65, 0.3)
    for n, value in enumerate(values, start=1):
        guides = "".join(f"<br/>- {escape(g)}" for g in value.guides)
        cell = Paragraph(f"<b>{escape(value.name)}</b>{guides}", _SMALL)
        if evaluation:
            rows.append(
                [str(n), cell, value.rating or rules.NOT_RATED, _p(value.feedback or rules.DASH)]
            )
        else:
            rows.append([str(n), cell, rules.DASH])
    return _grid(rows, widths)


def _signature(title: str, who: Person | None) -> list[Any]:
    if who is None:
        return [_p(title, _CENTER), Spacer(1, 16 * mm), _p(rules.DASH, _CENTER)]
    return [
        _p(title, _CENTER),
        _p(_position(who), _CENTER),
        Spacer(1, 14 * mm),
        Paragraph(f"<b><u>{escape(who.name)}</u></b>", _CENTER),
        _p(who.pangkat, _CENTER),
        _p(f"NIP. {who.nip}", _CENTER),
    ]


def _signatures(
    place: str, signed_on: str, employee: Person | None, evaluator: Person | None,
    atasan: Person | None, *, atasan_block: bool = True,
) -> list[Flowable]:  # fmt: skip
    top = Table(
        [
            ["", _p(f"{place}, {signed_on}", _CENTER)],
            [
                _signature("Pegawai yang Dinilai", employee),
                _signature("Pejabat Penilai Kinerja", evaluator),
            ],
        ],
        colWidths=[WIDTH / 2, WIDTH / 2],
    )
    out: list[Flowable] = [Spacer(1, 6 * mm), top]
    if atasan_block:
        below = Table(
            [[_signature("Mengetahui,\nAtasan Pejabat Penilai Kinerja", atasan)]],
            colWidths=[WIDTH / 2],
        )
        out += [Spacer(1, 4 * mm), below]
    return [KeepTogether(out)]


def _line(label: str, value: str) -> Table:
    table = Table([[_p(label, _BOLD), _p(value, _BOLD)]], colWidths=[0.45 * WIDTH, 0.55 * WIDTH])
    table.setStyle(TableStyle(_GRID))
    return table


# --- the documents ------------------------------------------------------------------------


def _plan(doc: PlanDocument) -> list[Flowable]:
    return [
        *_heading(
            rules.TITLES[rules.DocumentKind.SKP],
            f"Pemerintah {doc.region}",
            f"Periode Penilaian: {doc.period_range}",
            f"Status: {doc.status}",
        ),
        _parties(
            [
                ("Pegawai yang Dinilai", doc.employee),
                ("Pejabat Penilai Kinerja", doc.evaluator),
                ("Atasan Pejabat Penilai Kinerja", doc.atasan),
            ]
        ),
        *_section("Hasil Kerja"),
        _results(doc.results, evaluation=False),
        *_section("Perilaku Kerja"),
        _behaviours(doc.behaviours, evaluation=False),
        *_signatures(doc.region, doc.signed_on, doc.employee, doc.evaluator, doc.atasan),
    ]


def _evaluation(doc: EvaluationDocument) -> list[Flowable]:
    return [
        *_heading(
            rules.TITLES[rules.DocumentKind.EVALUATION],
            f"Pemerintah {doc.region}",
            f"Periode Penilaian: {doc.period_range}",
            f"Periode Evaluasi: {doc.assessed} — Status: {doc.status}",
        ),
        _parties(
            [
                ("Pegawai yang Dinilai", doc.employee),
                ("Pejabat Penilai Kinerja", doc.evaluator),
                ("Atasan Pejabat Penilai Kinerja", doc.atasan),
            ]
        ),
        Spacer(1, 2 * mm),
        _line("CAPAIAN KINERJA ORGANISASI", doc.organisation_rating),
        *_section("Hasil Kerja"),
        _results(doc.results, evaluation=True),
        Spacer(1, 1 * mm),
        _line("RATING HASIL KERJA", doc.result_rating),
        *_section("Perilaku Kerja"),
        _behaviours(doc.behaviours, evaluation=True),
        Spacer(1, 1 * mm),
        _line("RATING PERILAKU KERJA", doc.behaviour_rating),
        Spacer(1, 2 * mm),
        _line("PREDIKAT KINERJA PEGAWAI", doc.predikat),
        *_section("Umpan Balik"),
        _grid([[_p(doc.feedback)]], (1.0,), header=False),
        *_signatures(doc.region, doc.signed_on, doc.employee, doc.evaluator, doc.atasan),
    ]


RECAP_HEAD = ("NO", "UNIT KERJA", "SANGAT BAIK", "BAIK", "BUTUH PERBAIKAN", "KURANG",
              "SANGAT KURANG", "BELUM DINILAI", "JUMLAH")  # fmt: skip


def _recap(doc: RecapDocument) -> list[Flowable]:
    rows: list[list[Any]] = [[_p(h, _HEAD) for h in RECAP_HEAD]]
    for n, line in enumerate(doc.lines, start=1):
        rows.append(
            [_p(n), _p(line.unit), *(_p(c, _CENTER) for c in line.counts), _p(line.total, _CENTER)]
        )
    rows.append(
        ["", _p("JUMLAH", _BOLD), *(_p(c, _CENTER) for c in doc.totals), _p(doc.total, _CENTER)]
    )
    widths = (0.05, 0.31, 0.09, 0.08, 0.1, 0.08, 0.09, 0.1, 0.1)
    signer = [
        Spacer(1, 6 * mm),
        Table(
            [
                ["", _p(f"{doc.region}, {doc.signed_on}", _CENTER)],
                ["", _signature("Yang membuat rekapitulasi", doc.signer)],
            ],
            colWidths=[WIDTH / 2, WIDTH / 2],
        ),
    ]  # fmt: skip
    return [
        *_heading(
            rules.TITLES[rules.DocumentKind.PREDIKAT_RECAP],
            f"Pemerintah {doc.region} — {doc.scope}",
            f"Periode Penilaian: {doc.period_range}",
        ),
        _grid(rows, widths, extra=[("BACKGROUND", (0, -1), (-1, -1), colors.HexColor("#e8e8e8"))]),
        Spacer(1, 2 * mm),
        _p("Predikat menurut evaluasi kinerja tahunan yang sudah final."),
        KeepTogether(signer),
    ]


def render(
    kind: rules.DocumentKind, content: Content, *, code: str, verify_url: str, printed_on: str
) -> bytes:
    """The document as PDF bytes. `verify_url` (…/v/{code}) goes into the QR code."""
    if isinstance(content, PlanDocument):
        story = _plan(content)
    elif isinstance(content, EvaluationDocument):
        story = _evaluation(content)
    else:
        story = _recap(content)
    title = rules.TITLES[kind]
    shown_code = rules.code_text(code)
    matrix = segno.make(verify_url, error="m", micro=False).matrix

    def footer(canvas, document) -> None:
        canvas.saveState()
        if document.page == 1:  # drawn once per document, placed on every page
            canvas.beginForm("verification-qr")
            draw_qr(canvas, matrix, MARGIN, MARGIN - 8 * mm, QR_SIZE)
            canvas.endForm()
        canvas.doForm("verification-qr")
        x = MARGIN + QR_SIZE + 3 * mm
        canvas.setFont("Helvetica-Bold", 8)
        canvas.drawString(x, MARGIN + 4 * mm, f"Kode verifikasi: {shown_code}")
        canvas.setFont("Helvetica", 7.5)
        canvas.drawString(x, MARGIN, f"Periksa keaslian dan versi dokumen ini di {verify_url}")
        canvas.drawString(x, MARGIN - 4 * mm, f"Dicetak {printed_on} — halaman {document.page}")
        canvas.restoreState()

    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN + FOOTER - 8 * mm,
        title=title,
        author="Kinerja SaaS",
        subject=f"Kode verifikasi {shown_code}",
    )
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return out.getvalue()
