"""The compiled path's declarations (schema/compiled.py) are checked when the schema is
built: a relation that would show a type's private columns to every viewer it reaches —
a `Rel` without `reveal`, or a `Children` relation (which has none) — refuses to build, so a
future declaration cannot leak contacts through a relation by accident."""

from __future__ import annotations

import pytest

from kinerja_saas.org import queries as org_queries
from schema import compiled
from schema.compiled import Col, DeclarationError, Nested, Rel, declare
from schema.org.types import Employee, Unit
from schema.performance.types import Plan
from schema.schema import build_schema
from schema.training.types import TrainingParticipant


@pytest.fixture
def declarations():
    """The declarations as they were, whatever the test declares."""
    saved = dict(compiled._TYPES)
    yield compiled._TYPES
    compiled._TYPES.clear()
    compiled._TYPES.update(saved)


def _reveal(viewer):
    return lambda alias, sql: "true"


def test_the_platforms_declarations_build(settings):
    build_schema(settings)


def test_a_rel_without_reveal_to_a_type_with_private_columns_is_refused(settings, declarations):
    declare(
        Employee,
        **{
            **declarations["Employee"],
            "supervisor": Rel(org_queries.EMPLOYEES_TABLE, "supervisor_id"),
        },
    )
    with pytest.raises(DeclarationError) as refused:
        build_schema(settings)
    assert str(refused.value).startswith(
        "Employee.supervisor: a relation to Employee without a reveal, and Employee.email, "
        "Employee.phone are private"
    )


def test_a_new_private_column_refuses_the_relations_that_reach_it(settings, declarations):
    """Making Unit.code private: Unit.parent (Rel without reveal), Unit.children (a Children
    relation, which cannot reveal), Employee.unit and Plan.unit are each refused."""
    unit = {**declarations["Unit"], "code": Col("code", private=True)}
    declare(Unit, **unit)
    with pytest.raises(DeclarationError, match=r"^Unit\.parent: .* Unit\.code is private"):
        build_schema(settings)
    declare(Unit, **{**unit, "parent": Rel(org_queries.UNITS_TABLE, "parent_id", reveal=_reveal)})
    with pytest.raises(DeclarationError, match=r"^Unit\.children: .* Unit\.code is private"):
        build_schema(settings)
    without_children = {k: v for k, v in unit.items() if k != "children"}
    parent = Rel(org_queries.UNITS_TABLE, "parent_id", reveal=_reveal)
    declare(Unit, **{**without_children, "parent": parent})
    with pytest.raises(DeclarationError, match=r"^Employee\.unit: .* Unit\.code is private"):
        build_schema(settings)
    declare(
        Employee,
        **{
            **declarations["Employee"],
            "unit": Rel(org_queries.UNITS_TABLE, "unit_id", reveal=_reveal),
        },
    )
    with pytest.raises(DeclarationError, match=r"^Plan\.unit: .* Unit\.code is private"):
        build_schema(settings)
    declare(
        Plan,
        **{**declarations["Plan"], "unit": Rel(org_queries.UNITS_TABLE, "unit_id", reveal=_reveal)},
    )
    build_schema(settings)


def test_private_columns_of_an_object_read_from_the_same_row_count(settings, declarations):
    """A private column of a Nested object (shown under its parent's reveal) makes the
    parent's type one with private columns."""
    declare(
        TrainingParticipant,
        **{**declarations["TrainingParticipant"], "email": Col("email", private=True)},
    )
    assert isinstance(declarations["TrainingAssignment"]["employee"], Nested)
    schema = build_schema(settings)._schema  # reached only from its root: shown, as ever
    assert compiled._private_columns(schema, "TrainingAssignment") == ["TrainingParticipant.email"]
