"""The content of each document, built from the rows `queries` gathers: plain frozen
dataclasses holding the texts as printed (numbers with a decimal comma, dates in
Indonesian). `render` draws them; `rules.content_hash` hashes them, so the hash is of
what a reader sees, not of the PDF's bytes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from kinerja_saas.documents import rules
from kinerja_saas.documents.queries import RecapRow
from kinerja_saas.org.rules import pangkat_golongan


@dataclass(frozen=True)
class Person:
    name: str
    nip: str
    pangkat: str  # 'Penata Muda (III/a)', a PPPK grade, or '-'
    position: str
    unit: str
    capacity: str | None = None  # 'PLT' / 'PLH' where the data says so


@dataclass(frozen=True)
class IndicatorLine:
    text: str
    aspect: str
    target: str  # '100 dokumen'
    realisation: str | None = None  # evaluations: '90 dokumen'
    achievement: str | None = None  # evaluations: '90 %'


@dataclass(frozen=True)
class ResultLine:
    kind: str  # 'Utama' / 'Tambahan'
    text: str
    supports: str | None
    indicators: tuple[IndicatorLine, ...]


@dataclass(frozen=True)
class BehaviourLine:
    name: str
    guides: tuple[str, ...]
    rating: str | None = None  # evaluations
    feedback: str | None = None


@dataclass(frozen=True)
class PlanDocument:
    region: str
    period: str  # 'Tahun 2026'
    period_range: str
    status: str
    employee: Person
    evaluator: Person | None
    atasan: Person | None
    results: tuple[ResultLine, ...]
    behaviours: tuple[BehaviourLine, ...]
    signed_on: str  # '7 Desember 2026' (the approval; else the submission)


@dataclass(frozen=True)
class EvaluationDocument:
    region: str
    period: str
    period_range: str
    assessed: str  # 'Tahunan' or the checkpoint's label
    status: str
    employee: Person
    evaluator: Person | None
    atasan: Person | None
    organisation_rating: str
    results: tuple[ResultLine, ...]
    result_rating: str
    behaviours: tuple[BehaviourLine, ...]
    behaviour_rating: str
    predikat: str
    feedback: str
    signed_on: str


@dataclass(frozen=True)
class RecapLine:
    unit: str
    counts: tuple[int, ...]  # per rules.PREDIKAT_ORDER, then not rated
    total: int


@dataclass(frozen=True)
class RecapDocument:
    region: str
    period: str
    period_range: str
    scope: str  # the unit, or 'Seluruh perangkat daerah'
    lines: tuple[RecapLine, ...]
    totals: tuple[int, ...]
    total: int
    signer: Person | None
    signed_on: str


Content = PlanDocument | EvaluationDocument | RecapDocument


def person(row: dict[str, Any], prefix: str) -> Person | None:
    if row.get(f"{prefix}_nip") is None:
        return None
    return Person(
        name=row[f"{prefix}_name"],
        nip=row[f"{prefix}_nip"],
        pangkat=pangkat_golongan(row[f"{prefix}_golongan"]) or rules.DASH,
        position=row[f"{prefix}_position"],
        unit=row[f"{prefix}_unit"],
        capacity=row.get(f"{prefix}_capacity"),
    )


def _quantity(value: Decimal | str | None, unit: str) -> str | None:
    return None if value is None else f"{rules.number(value)} {unit}".strip()


def results_of(
    items: Sequence[dict[str, Any]], evidence: dict[str, Any] | None = None
) -> tuple[ResultLine, ...]:
    """One plan's rows of `queries.plan_items` -> its results; with an evaluation's frozen
    evidence, each indicator's realisation and achievement."""
    by_result: dict[int, dict[str, Any]] = {}
    for row in items:
        entry = by_result.setdefault(row["result_id"], {"row": row, "indicators": []})
        if row["indicator_id"] is None:
            continue
        kept = (evidence or {}).get(str(row["indicator_id"])) if evidence is not None else None
        entry["indicators"].append(
            IndicatorLine(
                text=row["indicator_text"],
                aspect=rules.ASPECT_LABELS.get(row["aspect"], row["aspect"]),
                target=_quantity(row["target"], row["unit_label"]) or rules.DASH,
                realisation=(
                    None
                    if evidence is None
                    else _quantity(kept.get("value") if kept else None, row["unit_label"])
                    or rules.DASH
                ),
                achievement=(
                    None
                    if evidence is None
                    else rules.percent(kept.get("achievement") if kept else None)
                ),
            )
        )
    return tuple(
        ResultLine(
            kind=rules.RESULT_KIND_LABELS.get(e["row"]["kind"], e["row"]["kind"]),
            text=e["row"]["result_text"],
            supports=e["row"]["supports_text"],
            indicators=tuple(e["indicators"]),
        )
        for e in by_result.values()
    )


def plan_document(
    header: dict[str, Any], items: Sequence[dict[str, Any]], values: Sequence[dict[str, Any]]
) -> PlanDocument:
    employee = person(header, "employee")
    assert employee is not None  # a plan always has its employee
    return PlanDocument(
        region=header["region"],
        period=f"Tahun {header['year']}",
        period_range=rules.period_range(header["starts_on"], header["ends_on"]),
        status=rules.PLAN_STATUS_LABELS.get(header["status"], header["status"]),
        employee=employee,
        evaluator=person(header, "evaluator"),
        atasan=person(header, "atasan"),
        results=results_of(items),
        behaviours=tuple(
            BehaviourLine(name=v["name"], guides=tuple(v["guide_behaviours"])) for v in values
        ),
        signed_on=rules.date_text(header["approved_on"] or header["submitted_on"]),
    )


def evaluation_document(
    evaluation: dict[str, Any],
    header: dict[str, Any],
    items: Sequence[dict[str, Any]],
    values: Sequence[dict[str, Any]],
) -> EvaluationDocument:
    employee = person(header, "employee")
    assert employee is not None
    rated = evaluation["behaviour_ratings"] or {}
    return EvaluationDocument(
        region=header["region"],
        period=f"Tahun {header['year']}",
        period_range=rules.period_range(header["starts_on"], header["ends_on"]),
        assessed=evaluation["checkpoint_label"] or "Tahunan",
        status="Final" if evaluation["status"] == "FINALISED" else "Konsep",
        employee=employee,
        evaluator=person(header, "evaluator"),
        atasan=person(header, "atasan"),
        organisation_rating=rules.ORGANISATION_LABELS.get(
            evaluation["organisation_rating"] or "", rules.NOT_RATED
        ),
        results=results_of(items, evaluation["evidence"] or {}),
        result_rating=rules.RATING_LABELS.get(evaluation["result_rating"] or "", rules.NOT_RATED),
        behaviours=tuple(
            BehaviourLine(
                name=v["name"],
                guides=tuple(v["guide_behaviours"]),
                rating=rules.RATING_LABELS.get(
                    (rated.get(v["code"]) or {}).get("rating") or "", rules.NOT_RATED
                ),
                feedback=(rated.get(v["code"]) or {}).get("note") or rules.DASH,
            )
            for v in values
        ),
        behaviour_rating=rules.RATING_LABELS.get(
            evaluation["behaviour_rating"] or "", rules.NOT_RATED
        ),
        predikat=rules.PREDIKAT_LABELS.get(evaluation["predikat"] or "", rules.NOT_RATED),
        feedback=evaluation["feedback"] or rules.DASH,
        signed_on=rules.date_text(evaluation["finalised_on"]),
    )


def recap_document(
    period: dict[str, Any],
    scope: str,
    rows: Sequence[RecapRow],
    signer: dict[str, Any] | None,
    today: date,
) -> RecapDocument:
    def counts(r: RecapRow) -> tuple[int, ...]:
        return (r["sangat_baik"], r["baik"], r["butuh_perbaikan"], r["kurang"],
                r["sangat_kurang"], r["not_rated"])  # fmt: skip

    lines = tuple(
        RecapLine(unit=r["unit_name"], counts=counts(r), total=sum(counts(r))) for r in rows
    )
    totals = tuple(sum(line.counts[i] for line in lines) for i in range(6))
    who = None
    if signer is not None:
        who = Person(
            name=signer["name"],
            nip=signer["nip"],
            pangkat=pangkat_golongan(signer["golongan"]) or rules.DASH,
            position=signer["position"],
            unit=signer["unit"],
            capacity=signer.get("capacity"),
        )
    return RecapDocument(
        region=period["region"],
        period=f"Tahun {period['year']}",
        period_range=rules.period_range(period["starts_on"], period["ends_on"]),
        scope=scope,
        lines=lines,
        totals=totals,
        total=sum(totals),
        signer=who,
        signed_on=rules.date_text(today),
    )


def public_facts(kind: rules.DocumentKind, content: Content) -> dict[str, Any]:
    """What the public verification page shows of a document: its kind, region and
    period, and for personal documents only the name, NIP and (evaluations) predikat —
    no plan content, ratings of values, feedback or realisations."""
    facts: dict[str, Any] = {
        "title": rules.TITLES[kind],
        "region": content.region,
        "period": content.period,
    }
    if isinstance(content, PlanDocument | EvaluationDocument):
        facts |= {"name": content.employee.name, "nip": content.employee.nip}
    if isinstance(content, EvaluationDocument):
        facts |= {"assessed": content.assessed, "predikat": content.predikat}
    if isinstance(content, RecapDocument):
        facts |= {"scope": content.scope, "employees": content.total}
    return facts
