"""The payload helper (schema/payloads.py): the SDL shape of a payload and how `mutate`
fills it. No database: the bodies here never write."""

from __future__ import annotations

import strawberry

from kinerja_saas.errors import FieldError, ValidationFailed
from schema.payloads import mutate, payload


@strawberry.type
class Thing:
    name: str


@payload
class ThingPayload:
    thing: Thing | None
    things: list[Thing]
    counted: int = 0


@strawberry.type
class Query:
    @strawberry.field
    def ok(self) -> bool:
        return True


@strawberry.type
class Mutation:
    @strawberry.mutation
    def make(self) -> ThingPayload:
        return ThingPayload()


def test_payload_sdl_is_its_fields_then_errors() -> None:
    sdl = strawberry.Schema(query=Query, mutation=Mutation).as_str()
    assert (
        "type ThingPayload {\n  thing: Thing\n  things: [Thing!]!\n  counted: Int!\n"
        "  errors: [UserError!]!\n}"
    ) in sdl


async def _fails() -> Thing:
    raise ValidationFailed([FieldError("name", "REQUIRED", "Nama wajib diisi.")])


async def _makes() -> str:
    return "a"


async def _nothing() -> None:
    return None


async def test_refused_input_gives_errors_and_defaults() -> None:
    done = await mutate(ThingPayload, _fails, lambda t: t, savepoint=False)
    assert [(e.field, e.code) for e in done.errors] == [("name", "REQUIRED")]
    assert (done.thing, done.things, done.counted) == (None, [], 0)


async def test_a_value_fills_the_first_field() -> None:
    done = await mutate(ThingPayload, _makes, lambda name: Thing(name=name), savepoint=False)
    assert done.thing == Thing(name="a") and done.things == [] and done.errors == []


async def test_a_dict_fills_several_fields_and_may_be_awaited() -> None:
    async def present(name: str) -> dict:
        return {"things": [Thing(name=name)], "counted": 1}

    done = await mutate(ThingPayload, _makes, present, savepoint=False)
    assert (done.thing, done.things, done.counted) == (None, [Thing(name="a")], 1)


async def test_a_body_returning_none_leaves_the_defaults() -> None:
    done = await mutate(ThingPayload, _nothing, lambda _: {"counted": 9}, savepoint=False)
    assert (done.thing, done.counted, done.errors) == (None, 0, [])
