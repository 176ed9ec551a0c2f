"""Plain scalar fields read without graphql-core's per-field machinery (schema/execution.py):
the same data and the same errors, with the same paths, as graphql-core's own path."""

import enum
from datetime import UTC, datetime
from decimal import Decimal

import strawberry
from graphql import GraphQLObjectType

from kinerja_saas.settings import Settings
from schema.execution import LeanExecutionContext, plain_readers
from schema.schema import build_schema


@strawberry.enum
class Colour(enum.Enum):
    RED = "RED"
    BLUE = "BLUE"


@strawberry.type
class Thing:
    id: strawberry.ID
    name: str
    colour: Colour
    at: datetime
    amount: Decimal
    maybe: str | None
    tags: list[str]

    @strawberry.field
    def shout(self) -> str:
        return self.name.upper()

    @strawberry.field
    def child(self) -> "Thing | None":
        return THINGS[0] if self.name != "a" else None


THINGS = [
    Thing(
        id=strawberry.ID("1"),
        name="a",
        colour=Colour.RED,
        at=datetime(2026, 1, 2, 3, 4, tzinfo=UTC),
        amount=Decimal("12.50"),
        maybe=None,
        tags=["x"],
    ),
    Thing(
        id=strawberry.ID("2"),
        name=None,  # type: ignore[arg-type] - a broken row: null in a non-null field
        colour="GREEN",  # type: ignore[arg-type] - not a member of the enum
        at=datetime(2026, 5, 6, tzinfo=UTC),
        amount=Decimal("1"),
        maybe="m",
        tags=[],
    ),
]


@strawberry.type
class Query:
    @strawberry.field
    def things(self) -> list[Thing | None]:
        return THINGS


QUERY = (
    "{ things { id name colour at amount maybe tags __typename alias: name"
    " child { id name shout } } }"
)


async def test_same_data_and_errors_as_graphql_core():
    lean = strawberry.Schema(query=Query, execution_context_class=LeanExecutionContext)
    ordinary = strawberry.Schema(query=Query)
    a, b = await lean.execute(QUERY), await ordinary.execute(QUERY)
    assert a.data == b.data
    assert a.data["things"][0]["colour"] == "RED" and a.data["things"][0]["maybe"] is None
    assert a.data["things"][1] is None  # null in a non-null field nulls the item, as ever
    assert [(e.message, e.path) for e in a.errors] == [(e.message, e.path) for e in b.errors]
    assert a.errors  # the broken row did raise


def test_only_plain_scalar_fields_are_read_directly():
    schema = build_schema(Settings(env="dev"))
    employee = schema._schema.type_map["Employee"]
    assert isinstance(employee, GraphQLObjectType)
    readers = plain_readers(employee)
    assert {"id", "nip", "name", "position", "positionType", "unitId"} <= set(readers)
    # Resolvers (relations, contacts decided per viewer) keep graphql-core's path.
    assert not {"unit", "supervisor", "email", "phone", "login"} & set(readers)
    assert schema.execution_context_class is LeanExecutionContext
