"""Minimal valid operations for every root field, built from the schema's argument types.

Arguments come from their GraphQL types (an ID from the kind its name says, an enum's
first value, today for a Date…); the small tables below say which object an `id` argument
names and give the few values a type cannot tell (a survey code, a notification kind).
Only required arguments are sent, plus optional ids that aim an upsert at an object."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    get_named_type,
)

from tests.security.world import SeededRegion

# Which object an argument named like this refers to.
ID_ARGUMENTS = {
    "periodId": "period",
    "unitId": "unit",
    "employeeId": "employee",
    "employeeIds": "employee",
    "programmeId": "programme",
    "campaignId": "campaign",
    "serviceId": "survey_service",
    "serviceIds": "survey_service",
    "competencyId": "competency",
    "competencyIds": "competency",
    "batchId": "batch",
    "assignmentId": "assignment",
    "assignmentIds": "assignment",
    "userId": "spare_user",
    "endpointId": "webhook",
    "trainingUnitId": "training_unit",
    "resultIds": "result",
    "ids": "notification",
    "indicatorId": "indicator",
    "checkpointId": "checkpoint",
    "planId": "plan",
    "parentId": "unit",
    "supervisorId": "employee",
    "evaluationId": "evaluation",
}

# What `id` names, per field. Destructive fields get spare objects, so the cells after
# them still find what they need.
FIELD_IDS = {
    "unit": "unit",
    "employee": "employee",
    "importJob": "import_job",
    "documentJob": "document_job",
    "requestDocument": "plan",  # kind: the enum's first value, SKP
    "plan": "plan",
    "suspendRegion": "region_c",
    "reactivateRegion": "region_c",
    "setRegionPlan": "region_c",
    "updateUnit": "spare_unit",
    "deactivateUnit": "spare_unit",
    "updateEmployee": "spare_employee",
    "deactivateEmployee": "spare_employee",
    "endActingAppointment": "acting_appointment",
    "advancePeriod": "period",
    "setCheckpointDeadline": "checkpoint",
    "submitPlan": "plan",
    "approvePlan": "plan",
    "returnPlan": "plan",
    "revisePlan": "plan",
    "verifyRealisation": "realisation",
    "rejectRealisation": "realisation",
    "finaliseEvaluation": "draft_evaluation",
    "appealEvaluation": "evaluation",
    "updateWebhookEndpoint": "webhook",
    "rotateWebhookSecret": "webhook",
    "deleteWebhookEndpoint": "spare_webhook",
    "redeliverWebhook": "webhook_delivery",
    # optional ids of upserts: aimed at an existing object
    "saveCompetency": "competency",
    "saveTrainingUnit": "training_unit",
    "saveTrainingProgramme": "programme",
    "saveTrainingRule": "rule",
    "answerComplaint": "complaint",
    "nationalExport": "national_export",
}

# String arguments whose value a type cannot tell.
STRING_ARGUMENTS = {
    "regionSlug": lambda target: target.slug,
    "kind": lambda target: "PLAN_APPROVED",
    "month": lambda target: date.today().strftime("%Y-%m"),  # TPP months
    "effectiveMonth": lambda target: date.today().strftime("%Y-%m"),
    "trackingCode": lambda target: target.ids["tracking_code"],
}
# Fields whose `code` is a service's survey code (the complaint form shares it).
SURVEY_CODE_FIELDS = ("surveyForm", "submitSurveyResponse", "complaintForm", "submitComplaint")

# Optional arguments left out although their names say ids (they exclude each other).
OMIT = {"surveyTrends": {"unitId"}}

# Booleans that are not false: upserts keep their objects active, imports only check.
TRUE_ARGUMENTS = {"isActive", "dryRun"}

_unique = itertools.count(1)


def _string(name: str, target: SeededRegion, owner: str) -> str:
    if name == "code" and owner in SURVEY_CODE_FIELDS:
        return target.ids["survey_code"]
    if name in STRING_ARGUMENTS:
        return STRING_ARGUMENTS[name](target)
    if name == "email":
        return f"tidak.ada.{next(_unique)}@nowhere.test"  # each under its own login limit
    # Unique, so a name or code clash never hides what the cell is about.
    return f"x{next(_unique)}"


@dataclass
class Operation:
    field: str
    document: str
    variables: dict[str, Any]
    files: dict[str, tuple[str, bytes, str]] = field(default_factory=dict)

    def http_request(self) -> dict[str, Any]:
        """Keyword arguments of httpx's post: JSON, or a multipart upload."""
        if not self.files:
            return {"json": {"query": self.document, "variables": self.variables}}
        paths = {key: [f"variables.{key}"] for key in self.files}
        operations = {"query": self.document, "variables": self.variables}
        return {
            "data": {"operations": json.dumps(operations), "map": json.dumps(paths)},
            "files": self.files,
        }


class Builder:
    def __init__(self, schema: GraphQLSchema, region_c_id: int) -> None:
        self.schema = schema
        self.region_c_id = region_c_id

    def _id(self, kind: str, target: SeededRegion) -> str:
        if kind == "region_c":
            return str(self.region_c_id)
        return str(target.ids[kind])

    def value(self, name: str, type_, target: SeededRegion, owner: str) -> Any:
        """A valid value of `type_` for the argument (or input field) `name`."""
        if isinstance(type_, GraphQLNonNull):
            type_ = type_.of_type
        if isinstance(type_, GraphQLList):
            return [self.value(name, type_.of_type, target, owner)]
        if isinstance(type_, GraphQLEnumType):
            return next(iter(type_.values))
        if isinstance(type_, GraphQLInputObjectType):
            return {
                n: self.value(n, f.type, target, owner)
                for n, f in type_.fields.items()
                if isinstance(f.type, GraphQLNonNull)
            }
        assert isinstance(type_, GraphQLScalarType)
        scalar = type_.name
        if scalar == "ID":
            if name == "id":
                return self._id(FIELD_IDS[owner], target)
            return self._id(ID_ARGUMENTS[name], target)
        if scalar == "String":
            return _string(name, target, owner)
        if scalar == "Int":
            return {"year": date.today().year, "first": 5, "last": 3}.get(name, 1)
        if scalar == "Float":
            return 1.0
        if scalar == "Boolean":
            return name in TRUE_ARGUMENTS
        if scalar == "Date":
            return date.today().isoformat()
        if scalar == "Decimal":
            return "1"
        if scalar == "Upload":
            return None  # sent as a file
        raise AssertionError(f"no value for scalar {scalar} ({owner}.{name})")

    def arguments(self, name: str, definition: GraphQLField) -> dict[str, Any]:
        """The arguments sent: the required ones, and optional ids (an upsert's, a filter's
        unit…) so that the other region's cell aims at its objects."""
        return {
            arg: spec
            for arg, spec in definition.args.items()
            if isinstance(spec.type, GraphQLNonNull)
            or (arg == "id" and name in FIELD_IDS)
            or (arg in ID_ARGUMENTS and arg not in OMIT.get(name, ()))
        }

    def operation(self, root: str, name: str, target: SeededRegion) -> Operation:
        root_type = {
            "query": self.schema.query_type,
            "mutation": self.schema.mutation_type,
            "subscription": self.schema.subscription_type,
        }[root]
        definition = root_type.fields[name]
        args = self.arguments(name, definition)
        variables, files = {}, {}
        for arg, spec in args.items():
            variables[arg] = self.value(arg, spec.type, target, name)
            if get_named_type(spec.type).name == "Upload":
                files[arg] = ("pegawai.csv", b"nip,nama,jabatan,unit\n", "text/csv")
        declared = ", ".join(f"${a}: {spec.type}" for a, spec in args.items())
        passed = ", ".join(f"{a}: ${a}" for a in args)
        call = f"{name}({passed})" if args else name
        header = f"{root} Matrix({declared})" if args else f"{root} Matrix"
        return Operation(name, f"{header} {{ {call}{selection(definition)} }}", variables, files)


def selection(definition: GraphQLField) -> str:
    """`__typename`, and a payload's errors; nothing for a scalar."""
    named = get_named_type(definition.type)
    if not isinstance(named, GraphQLObjectType):
        return ""
    if "errors" in named.fields:
        return " { __typename errors { field code } }"
    return " { __typename }"


def root_fields(schema: GraphQLSchema) -> dict[str, str]:
    """Every root field -> query / mutation / subscription."""
    fields = {}
    for root, type_ in (
        ("query", schema.query_type),
        ("mutation", schema.mutation_type),
        ("subscription", schema.subscription_type),
    ):
        for name in type_.fields:
            assert name not in fields, f"{name} is a root field twice"
            fields[name] = root
    return fields
