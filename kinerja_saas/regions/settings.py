"""Per-region settings, typed: one pydantic model per domain section, the one place a setting
is declared (its type, default, range, Indonesian label and API description), validated and
read. The API's `RegionSettings` type and `RegionSettingsInput` are generated from these
models (schema/regions/settings.py), the audit trail flattens them, and every reader gets a
typed object:

    cap = (await current_settings()).performance.achievement_cap

Adding a setting is one line in its section below (CONTRIBUTING.md, worked example). A rule
between two settings (thresholds ordered) goes in the section's `checks`.

Stored values are the region's `settings` JSON (`{"performance": {...}, ...}`); what a region
never set reads as the default, so a new setting reaches every region at once."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar, cast, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.fields import FieldInfo

from kinerja_saas import metrics
from kinerja_saas.errors import (
    CommonError,
    ErrorCode,
    FieldError,
    ValidationFailed,
    api_field,
    field_labels,
)
from kinerja_saas.logs import get_logger
from kinerja_saas.regions.errors import RegionError
from tenants.context import NoTenant, current_tenant_id
from tenants.models import Tenant

ResultRatingMethod = Literal["REGULATION", "WEIGHTED_MEAN"]
CheckpointKind = Literal["MONTHLY", "QUARTERLY", "SEMESTER"]
AppealDeciderAtTop = Literal["TIM_PENILAI", "REGION_ADMIN"]
Predikat = Literal["SANGAT_BAIK", "BAIK", "BUTUH_PERBAIKAN", "KURANG", "SANGAT_KURANG"]


def setting(
    default: Any,
    *,
    label: str,
    description: str | None = None,
    unit: str | None = None,
    gt: float | None = None,
    ge: float | None = None,
    le: float | None = None,
    min_length: int | None = None,
    max_length: int | None = None,
) -> Any:
    """One setting: its default, the Indonesian `label` messages name it by, the API
    `description`, and its range (`ge`/`gt`/`le`, in `unit`; `min_length`/`max_length` of a
    list or text), checked on every change."""
    extra: dict[str, Any] = {"unit": unit} if unit else {}
    if isinstance(default, list):
        items = tuple(default)
        return Field(
            default_factory=lambda: list(items),
            title=label,
            description=description,
            min_length=min_length,
            max_length=max_length,
            json_schema_extra=extra,
        )
    return Field(
        default,
        title=label,
        description=description,
        gt=gt,
        ge=ge,
        le=le,
        min_length=min_length,
        max_length=max_length,
        json_schema_extra=extra,
    )


@dataclass(frozen=True)
class Problem:
    """A rule between settings broken: the setting it names, the declared error
    (regions/errors.py) and the parameters of its message."""

    name: str
    error: ErrorCode
    params: Mapping[str, Any] = field(default_factory=dict)


class Section(BaseModel):
    """A domain's settings. Unknown stored keys (a setting since removed) are ignored."""

    model_config = ConfigDict(frozen=True, extra="ignore", allow_inf_nan=False)

    def checks(self, valid: Callable[..., bool]) -> Iterator[Problem]:
        """Rules between this section's settings; `valid(*names)` says whether those settings
        passed their own checks (a rule is checked once its settings are)."""
        return iter(())


class PerformanceSettings(Section):
    # REGULATION: the rule of PermenPANRB 6/2022 (performance.rules
    # .result_rating_by_regulation); WEIGHTED_MEAN: the plan's weighted mean achievement
    # against the thresholds, for regions that keep a formula.
    result_rating_method: ResultRatingMethod = setting(
        "REGULATION",
        label="Metode penilaian hasil kerja",
        description="REGULATION (default): the proposed result rating follows PermenPANRB "
        "6/2022, each work result judged on its own and no weights between them; "
        "WEIGHTED_MEAN: the plan's weighted mean achievement against the thresholds",
    )
    result_threshold_above: float = setting(
        110.0,
        label="Ambang 'di atas ekspektasi'",
        description="Achievement (%) from which the proposed result rating is DI_ATAS_EKSPEKTASI",
    )
    result_threshold_expected: float = setting(
        80.0,
        label="Ambang 'sesuai ekspektasi'",
        description="Achievement (%) from which it is SESUAI_EKSPEKTASI; below: "
        "DI_BAWAH_EKSPEKTASI",
        gt=0,
        le=100,
        unit="(%)",
    )
    achievement_cap: float = setting(
        120.0,
        label="Batas capaian",
        description="Ceiling of an indicator's achievement (%)",
        ge=100,
        le=200,
        unit="(%)",
    )
    low_performer_predikat: list[Predikat] = setting(
        ["BUTUH_PERBAIKAN", "KURANG", "SANGAT_KURANG"],
        label="Predikat berkinerja rendah",
        min_length=1,
    )
    low_indicator_floor: float = setting(
        60.0,
        label="Batas bawah capaian indikator",
        description="An indicator under this achievement (%) marks a low performer",
        ge=0,
        le=100,
        unit="(%)",
    )
    checkpoint: CheckpointKind = setting(
        "QUARTERLY", label="Checkpoint", description="MONTHLY, QUARTERLY or SEMESTER"
    )
    appeal_window_days: int = setting(14, label="Jangka waktu keberatan", ge=0, le=90, unit="hari")
    appeal_decider_at_top: AppealDeciderAtTop = setting(
        "TIM_PENILAI",
        label="Pemutus keberatan pejabat tertinggi",
        description="Who decides an appeal when the evaluator has no supervisor (the head of "
        "the tree): TIM_PENILAI (default; the region's Tim Penilai Kinerja, PermenPANRB "
        "6/2022) or REGION_ADMIN. Elsewhere the evaluator's supervisor decides.",
    )
    deadline_notice_days: int = setting(
        3,
        label="Pemberitahuan batas waktu",
        description="Days before a checkpoint's realisation deadline that it is announced as near",
        ge=1,
        le=30,
        unit="hari",
    )
    approval_reminder_days: int = setting(
        3,
        label="Pengingat persetujuan",
        description="Evaluators are reminded daily of plans waiting longer than this",
        ge=1,
        le=30,
        unit="hari",
    )

    def checks(self, valid: Callable[..., bool]) -> Iterator[Problem]:
        above, expected = self.result_threshold_above, self.result_threshold_expected
        if valid("result_threshold_above", "result_threshold_expected") and not expected < above:
            yield Problem("result_threshold_above", RegionError.NOT_ORDERED)
        if valid("result_threshold_above", "achievement_cap") and above > self.achievement_cap:
            yield Problem(
                "result_threshold_above", RegionError.ABOVE_CAP, {"cap": self.achievement_cap}
            )
        low = set(self.low_performer_predikat) if valid("low_performer_predikat") else set()
        if low & {"SANGAT_BAIK", "BAIK"}:
            yield Problem("low_performer_predikat", RegionError.LOW_PERFORMER_PREDIKAT)


class SurveySettings(Section):
    rate_limit_per_ip_per_hour: int = setting(
        30, label="Batas jawaban per IP per jam", ge=1, le=10_000
    )
    suggestion_max_length: int = setting(
        1000, label="Panjang maksimum saran", ge=0, le=5000, unit="karakter"
    )
    publish_results: bool = setting(False, label="Publikasi hasil survei")


class TrainingSettings(Section):
    annual_jp_entitlement: int = setting(
        20,
        label="Hak JP tahunan",
        description="Training hours (JP) a year",
        ge=0,
        le=200,
        unit="JP",
    )


LAPOR_EXAMPLE = "https://www.lapor.go.id/instansi/pemerintah-kota-contoh"


def is_lapor_link(url: str) -> bool:
    """An https address with a host and nothing a page could misuse (no spaces, quotes or
    angle brackets): it is shown as a link on the public complaint page."""
    return (
        len(url) <= 300
        and url.startswith("https://")
        and len(url) > len("https://")
        and not any(c in url for c in " \t\n\r\"'<>`")
    )


class ComplaintSettings(Section):
    """Public complaints (pengaduan) per survey service (kinerja_saas/complaints,
    docs/complaints.md)."""

    answer_due_working_days: int = setting(
        5,
        label="Batas waktu jawaban pengaduan",
        description="Working days (Monday to Friday) after receipt that the answer is due",
        ge=1,
        le=60,
        unit="hari kerja",
    )
    escalate_after_working_days: int = setting(
        3,
        label="Eskalasi pengaduan ke admin",
        description="Working days after the due day that the region admin is told",
        ge=1,
        le=60,
        unit="hari kerja",
    )
    lapor_url: str = setting(
        "",
        label="Tautan SP4N-LAPOR!",
        description='The region\'s SP4N-LAPOR! link (https); "" for none',
        max_length=300,
    )
    text_max_length: int = setting(
        2000, label="Panjang maksimum pengaduan", ge=100, le=5000, unit="karakter"
    )
    rate_limit_per_ip_per_hour: int = setting(
        10, label="Batas pengaduan per IP per jam", ge=1, le=1000
    )

    def checks(self, valid: Callable[..., bool]) -> Iterator[Problem]:
        if valid("lapor_url") and self.lapor_url and not is_lapor_link(self.lapor_url):
            yield Problem("lapor_url", CommonError.INVALID, {"example": LAPOR_EXAMPLE})


class RegionSettings(BaseModel):
    """Every domain's section. A new domain adds its `Section` here (one line)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        _declare_labels(cls)

    performance: PerformanceSettings = Field(default_factory=PerformanceSettings)
    surveys: SurveySettings = Field(default_factory=SurveySettings)
    training: TrainingSettings = Field(default_factory=TrainingSettings)
    complaints: ComplaintSettings = Field(default_factory=ComplaintSettings)

    def stored(self) -> dict[str, dict[str, Any]]:
        """What the region's `settings` column holds."""
        return self.model_dump(mode="json")

    def flat(self) -> dict[str, Any]:
        """`{"performance.achievement_cap": 120.0, …}`: the audit trail's before and after."""
        return {f"{s}.{k}": v for s, values in self.stored().items() for k, v in values.items()}


def sections_of(model: type[RegionSettings]) -> dict[str, type[Section]]:
    """Section name -> its model (every field of the settings is a Section)."""
    return {
        name: cast("type[Section]", info.annotation) for name, info in model.model_fields.items()
    }


def _declare_labels(model: type[RegionSettings]) -> None:
    """Each setting's label, for the messages that name it (kinerja_saas.errors.field_label):
    `performance.achievementCap` -> 'Batas capaian'."""
    field_labels(
        {
            _field(section, name): info.title
            for section, section_model in sections_of(model).items()
            for name, info in section_model.model_fields.items()
            if info.title
        }
    )


SECTIONS = sections_of(RegionSettings)
S = TypeVar("S", bound=RegionSettings)
log = get_logger("kinerja.settings")


def _sections(stored: Mapping[str, Any] | None) -> dict[str, dict[str, Any]]:
    return {
        name: dict(values)
        for name, values in (stored or {}).items()
        if name in SECTIONS and isinstance(values, Mapping)
    }


@dataclass(frozen=True)
class OutOfRange:
    """A stored setting that no longer passes its own check: it reads as its default."""

    section: str
    name: str
    stored: Any
    valid: str  # for a person: "1..10000", "one of MONTHLY, QUARTERLY, SEMESTER"

    @property
    def setting(self) -> str:
        return f"{self.section}.{self.name}"


def out_of_range(stored: Mapping[str, Any] | None) -> list[OutOfRange]:
    """The stored settings that fail their own check (a range narrowed since they were
    saved, or a value written around `updateRegionSettings`), in declaration order."""
    sections = _sections(stored)
    try:
        RegionSettings.model_validate(sections)
    except ValidationError as error:
        found: dict[tuple[str, str], OutOfRange] = {}
        for problem in error.errors():
            section, name = str(problem["loc"][0]), str(problem["loc"][1])
            if (section, name) not in found:
                info = SECTIONS[section].model_fields[name]
                found[section, name] = OutOfRange(
                    section, name, sections[section].get(name), valid_values(info)
                )
        return list(found.values())
    return []


def valid_values(info: FieldInfo) -> str:
    """What a setting accepts, for an operator: its range, length or choices."""
    parts: list[str] = []
    low = high = None
    for bound in info.metadata:
        if getattr(bound, "ge", None) is not None:
            low = f"{bound.ge:g}"
        if getattr(bound, "gt", None) is not None:
            low = f">{bound.gt:g}"
        if getattr(bound, "le", None) is not None:
            high = f"{bound.le:g}"
        if getattr(bound, "min_length", None) is not None:
            parts.append(f"at least {bound.min_length} items")
        if getattr(bound, "max_length", None) is not None:
            parts.append(f"at most {bound.max_length} characters")
    if low is not None or high is not None:
        parts.insert(0, f"{low or '-inf'}..{high or 'inf'}")
    if choices := _choices(info.annotation):
        parts.insert(0, "one of " + ", ".join(choices))
    kind = getattr(info.annotation, "__name__", None)
    if not parts and kind:
        parts.append(f"a {kind}")
    return "; ".join(parts)


# (region, setting) already announced by this process: one warning each, not one per read.
_announced: set[tuple[int | None, str]] = set()


def _announce(region: int | None, problems: list[OutOfRange]) -> None:
    """A stored value read as its default is said once per region and setting per process:
    a WARNING line and `kinerja_region_settings_out_of_range_total{setting}` (`kinerja
    doctor` lists them all)."""
    for problem in problems:
        key = (region, problem.setting)
        if key in _announced:
            continue
        _announced.add(key)
        metrics.REGION_SETTINGS_OUT_OF_RANGE.labels(problem.setting).inc()
        log.warning(
            "stored region setting out of range; its default is used",
            region_id=region,
            setting=problem.setting,
            stored=repr(problem.stored),
            valid=problem.valid,
            default=repr(
                SECTIONS[problem.section]
                .model_fields[problem.name]
                .get_default(call_default_factory=True)
            ),
        )


def _region_in_context() -> int | None:
    try:
        return current_tenant_id()
    except NoTenant:
        return None


def load(stored: Mapping[str, Any] | None, *, region: int | None = None) -> RegionSettings:
    """The stored settings over the defaults. A stored value that no longer passes its check
    (a range narrowed since it was saved) reads as the default rather than failing the
    region's every request, and is announced: a WARNING line and a counter once per region
    (`region`, else the current tenant) and setting per process, and a failed `kinerja
    doctor` check (`out_of_range`). Saving the settings again stores the default."""
    sections = _sections(stored)
    try:
        return RegionSettings.model_validate(sections)
    except ValidationError:
        problems = out_of_range(stored)
        _announce(region if region is not None else _region_in_context(), problems)
        for problem in problems:
            sections[problem.section].pop(problem.name, None)
        return RegionSettings.model_validate(sections)


async def current_settings() -> RegionSettings:
    """The current region's settings (in its tenant transaction)."""
    tenant = await Tenant.get(id=current_tenant_id())
    return load(tenant.settings)


def changed(current: S, changes: Mapping[str, Mapping[str, Any]]) -> S:
    """`current` with `changes` (`{"performance": {"achievement_cap": 130}}`; None keeps a
    value) applied and checked: every broken setting is reported at once, each naming its
    field as the API spells it (`performance.achievementCap`) in Bahasa Indonesia."""
    model, sections = type(current), sections_of(type(current))
    values = current.stored()
    for section, given in changes.items():
        values.setdefault(section, {}).update({k: v for k, v in given.items() if v is not None})
    problems: list[FieldError] = []
    failed: set[tuple[str, str]] = set()
    try:
        model.model_validate(values)
    except ValidationError as error:
        for problem in error.errors():
            section, name = str(problem["loc"][0]), str(problem["loc"][1])
            if (section, name) not in failed:
                failed.add((section, name))
                info = sections[section].model_fields[name]
                problems.append(_field_problem(_field(section, name), info, problem["type"]))
    for section, section_model in sections.items():
        raw = section_model.model_construct(**values.get(section, {}))

        def valid(*names: str, section: str = section) -> bool:
            return not any((section, n) in failed for n in names)

        problems.extend(
            FieldError.of(_field(section, p.name), p.error, **p.params) for p in raw.checks(valid)
        )
    if problems:
        raise ValidationFailed(problems)
    return model.model_validate(values)


def _field(section: str, name: str) -> str:
    return f"{section}.{api_field(name)}"


_RANGE_ERRORS = {"greater_than", "greater_than_equal", "less_than", "less_than_equal"}


def _field_problem(field: str, info: FieldInfo, kind: str) -> FieldError:
    """A setting's own check failed (pydantic's error `kind`), as the catalogue's error."""
    if kind in _RANGE_ERRORS:
        low = high = None
        for bound in info.metadata:
            low = getattr(bound, "ge", getattr(bound, "gt", low))
            high = getattr(bound, "le", getattr(bound, "lt", high))
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        unit = {"unit": extra["unit"]} if extra.get("unit") else {}
        return FieldError.of(field, CommonError.OUT_OF_RANGE, min=low, max=high, **unit)
    if kind == "string_too_long":
        high = next(b.max_length for b in info.metadata if hasattr(b, "max_length"))
        return FieldError.of(field, CommonError.TOO_LONG, max=high)
    choices = _choices(info.annotation)
    return FieldError.of(field, CommonError.INVALID, **({"values": choices} if choices else {}))


def _choices(annotation: Any) -> tuple[str, ...]:
    for arg in (annotation, *get_args(annotation)):
        if (values := get_args(arg)) and all(isinstance(v, str) for v in values):
            return values
    return ()


def defaults() -> dict[str, dict[str, Any]]:
    """The settings a new region starts with (as stored)."""
    return copy.deepcopy(RegionSettings().stored())


_declare_labels(RegionSettings)  # (subclasses declare theirs as they are defined)
