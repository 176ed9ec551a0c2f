"""TPP changes: rule versions, base amounts, the attendance import, the month's
computation (queued for a worker) and closing."""

from __future__ import annotations

from dataclasses import fields as dc_fields
from decimal import Decimal
from typing import Any

import strawberry
from strawberry.file_uploads import Upload

from kinerja_saas.errors import DomainError, FieldError, ValidationFailed
from kinerja_saas.tpp import service
from kinerja_saas.tpp.errors import TppRuleError
from kinerja_saas.tpp.rules import DEFAULTS, LABELS, RuleSet, api_name, parse_decimal
from schema.payloads import mutate
from schema.tpp.types import (
    TppAttendancePayload,
    TppBaseAmountInput,
    TppBaseAmountsPayload,
    TppImportProblem,
    TppMonth,
    TppMonthPayload,
    TppRuleSet,
    TppRuleSetInput,
    TppRuleSetPayload,
)
from schema.uploads import uploaded


def _rules(data: TppRuleSetInput) -> RuleSet:
    values: dict[str, Decimal] = {}
    problems: list[FieldError] = []
    for f in dc_fields(RuleSet):
        text = getattr(data, f.name)
        if text is None:
            values[f.name] = getattr(DEFAULTS, f.name)
            continue
        number = parse_decimal(text)
        if number is None:
            problems.append(
                FieldError.of(
                    api_name(f.name), TppRuleError.NOT_A_NUMBER, label=LABELS[f.name], value=text
                )
            )
        else:
            values[f.name] = number
    if problems:
        raise ValidationFailed(problems)
    return RuleSet(**values)


@strawberry.type
class TppMutation:
    @strawberry.mutation(
        description="Region admin: the TPP rules in force from a month until the next version "
        "(a version of a month is replaced; one that would govern a closed month is refused)."
    )
    async def save_tpp_rule_set(
        self, info: strawberry.Info, input: TppRuleSetInput
    ) -> TppRuleSetPayload:
        actor = info.context.require_region_actor()

        async def body():
            return await service.save_rule_set(
                actor=actor, effective_month=input.effective_month, rules=_rules(input)
            )

        return await mutate(TppRuleSetPayload, body, TppRuleSet.of)

    @strawberry.mutation(description="Region admin: base TPP (whole rupiah) per employee.")
    async def set_tpp_base_amounts(
        self, info: strawberry.Info, items: list[TppBaseAmountInput]
    ) -> TppBaseAmountsPayload:
        actor = info.context.require_region_actor()
        return await mutate(
            TppBaseAmountsPayload,
            lambda: service.set_base_amounts(
                actor=actor,
                items=[service.BaseAmount(i.nip.strip(), i.amount) for i in items],
            ),
        )

    @strawberry.mutation(
        description="Region admin: a month's attendance and discipline figures from the "
        "attendance system (CSV: nip, bulan, alpa, tl1–tl4, psw1–psw4, cuti_tahunan … cuti_cltn (old `cuti`: cuti_tahunan); ',' or ';'; "
        "UTF-8). Replaces the month's figures; all or nothing, every problem with its line."
    )
    async def import_tpp_attendance(
        self, info: strawberry.Info, month: str, file: Upload
    ) -> TppAttendancePayload:
        actor = info.context.require_region_actor()
        return await mutate(
            TppAttendancePayload,
            lambda: service.import_attendance(
                actor=actor,
                month=month,
                binary=uploaded(file).file,
                max_bytes=info.context.settings.import_max_bytes,
            ),
            lambda count: {"imported": count},
            when_refused=_file_problems,
        )

    @strawberry.mutation(
        description="Region admin: compute a month's TPP (a worker runs it; follow it with "
        "tppMonth). A closed month gets correction rows for what changed."
    )
    async def compute_tpp(self, info: strawberry.Info, month: str) -> TppMonthPayload:
        actor = info.context.require_region_actor()
        return await mutate(
            TppMonthPayload,
            lambda: service.request_computation(actor=actor, month=month),
            TppMonth.of,
        )

    @strawberry.mutation(description="Region admin: close a computed month.")
    async def close_tpp_month(self, info: strawberry.Info, month: str) -> TppMonthPayload:
        actor = info.context.require_region_actor()
        return await mutate(
            TppMonthPayload, lambda: service.close_month(actor=actor, month=month), TppMonth.of
        )


def _file_problems(refusal: DomainError | None) -> dict[str, Any]:
    """A refused file's problems, every one with its line (the errors name the first)."""
    if not isinstance(refusal, service.AttendanceRefused):
        return {}
    return {
        "problem_count": refusal.total,
        "problems": [
            TppImportProblem(line=p.line, field=p.field, code=p.code, message=p.message)
            for p in refusal.problems
        ],
    }
