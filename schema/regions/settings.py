"""The region settings' GraphQL types, generated from the pydantic models that declare them
(kinerja_saas/regions/settings.py): `RegionSettings` (every setting, with its description)
and `RegionSettingsInput` (every setting optional: only the values given change), one type
and one input per section. A setting added to its section appears here with nothing to write.

Literal choices (result rating method, checkpoint, predikat) stay `String` in the SDL, as
clients have always sent them; the choice is checked in one place with the other settings."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any, Literal, get_args, get_origin

import strawberry
from pydantic import BaseModel

from kinerja_saas.regions.settings import SECTIONS
from kinerja_saas.regions.settings import RegionSettings as RegionSettingsModel


def _graphql(annotation: Any, *, input: bool) -> Any:
    origin = get_origin(annotation)
    if origin is Literal:
        return str
    if origin is list:
        return list[_graphql(get_args(annotation)[0], input=input)]  # type: ignore[misc]  # a type built at run time
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return generated(annotation, input=input)
    return annotation  # int, float, bool, str


@functools.cache
def generated(model: type[BaseModel], *, input: bool = False) -> type:
    """The Strawberry type (or input) of `model`, named after it: `PerformanceSettings`,
    `PerformanceSettingsInput`. Descriptions come from the settings' own."""
    annotations: dict[str, Any] = {}
    namespace: dict[str, Any] = {"__annotations__": annotations, "__module__": __name__}
    for name, info in model.model_fields.items():
        kind = _graphql(info.annotation, input=input)
        if input:
            annotations[name] = kind | None
            namespace[name] = strawberry.field(default=None)
        else:
            annotations[name] = kind
            namespace[name] = strawberry.field(description=info.description)
    type_name = model.__name__ + ("Input" if input else "")
    cls = type(type_name, (), namespace)
    if input:
        description = "Only the values given change." if model is RegionSettingsModel else None
        return strawberry.input(cls, name=type_name, description=description)
    return strawberry.type(cls, name=type_name)


# A field returning the settings resolves from the pydantic model itself (attributes of the
# same names): `@strawberry.field(graphql_type=RegionSettings)`.
RegionSettings = generated(RegionSettingsModel)
RegionSettingsInput = generated(RegionSettingsModel, input=True)


def changes(given: Any) -> dict[str, dict[str, Any]]:
    """A `RegionSettingsInput` as the section -> setting -> value changes it asks for."""
    found: dict[str, dict[str, Any]] = {}
    for section in SECTIONS:
        values: Mapping[str, Any] | None = _values(getattr(given, section, None))
        if values is not None:
            found[section] = {k: v for k, v in values.items() if v is not None}
    return found


def _values(section: object) -> Mapping[str, Any] | None:
    return None if section is None else vars(section)
