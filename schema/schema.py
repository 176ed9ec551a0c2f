"""The exported schema: every domain's queries, mutations and subscriptions, and the request
guards."""

from __future__ import annotations

import logging
from pathlib import Path

import strawberry
from strawberry.extensions import DisableIntrospection, MaxAliasesLimiter, QueryDepthLimiter
from strawberry.tools import merge_types

from kinerja_saas.errors import DomainError
from kinerja_saas.settings import Settings, get_settings
from schema.auth.mutations import AuthMutation
from schema.auth.queries import AuthQuery
from schema.compiled import CompiledReads, PlanStore, check_declarations
from schema.complaints.mutations import ComplaintMutation
from schema.complaints.queries import ComplaintQuery
from schema.document_cache import DocumentCache, DocumentStore
from schema.documents.mutations import DocumentMutation
from schema.documents.queries import DocumentQuery
from schema.errors import MaskUnexpectedErrors, expected_error, should_mask
from schema.execution import LeanExecutionContext
from schema.exports.mutations import ExportMutation
from schema.exports.queries import ExportQuery
from schema.isolation import AnonymousOnly, AuthenticationAlone
from schema.limits import CostLimit, DocumentRules, DocumentShape
from schema.notifications.mutations import NotificationMutation, WebhookMutation
from schema.notifications.queries import NotificationQuery, WebhookQuery
from schema.notifications.subscriptions import NotificationSubscription
from schema.org.mutations import ImportMutation, OrgMutation
from schema.org.queries import ImportQuery, OrgQuery
from schema.performance.mutations import EvaluationMutation, PerformanceMutation, PlanMutation
from schema.performance.queries import EvaluationQuery, PerformanceQuery, PlanQuery
from schema.regions.mutations import RegionMutation
from schema.regions.queries import CatalogueQuery, RegionQuery
from schema.surveys.mutations import SurveyMutation
from schema.surveys.queries import SurveyQuery
from schema.tpp.mutations import TppMutation
from schema.tpp.queries import TppQuery
from schema.training.mutations import TrainingMutation
from schema.training.queries import TrainingQuery
from schema.transaction import TenantTransaction

SDL_PATH = Path(__file__).with_name("schema.graphql")

# The root types: each domain package's fields, in this order (the order of the SDL's fields).

Query = merge_types(
    "Query",
    (
        AuthQuery,
        RegionQuery,
        OrgQuery,
        ImportQuery,
        CatalogueQuery,
        PerformanceQuery,
        PlanQuery,
        EvaluationQuery,
        NotificationQuery,
        WebhookQuery,
        SurveyQuery,
        TrainingQuery,
        TppQuery,
        ComplaintQuery,
        ExportQuery,
        DocumentQuery,
    ),
)
Mutation = merge_types(
    "Mutation",
    (
        AuthMutation,
        RegionMutation,
        OrgMutation,
        ImportMutation,
        PerformanceMutation,
        PlanMutation,
        EvaluationMutation,
        NotificationMutation,
        WebhookMutation,
        SurveyMutation,
        TrainingMutation,
        TppMutation,
        ComplaintMutation,
        ExportMutation,
        DocumentMutation,
    ),
)

Subscription = merge_types("Subscription", (NotificationSubscription,))


_errors_log = logging.getLogger("strawberry.execution")  # Strawberry's own logger


class KinerjaSchema(strawberry.Schema):
    def process_errors(self, errors, execution_context=None) -> None:
        """Strawberry logs every GraphQL error at ERROR with its traceback. A typed refusal
        (the client's doing, `expected_error`) is logged at INFO: an alert on ERROR means
        something unexpected happened (kinerja_saas/logs.py renders both)."""
        for error in errors:
            if expected_error(error):
                original = error.original_error
                # A DomainError's code goes into the line (logs.py); no traceback.
                _errors_log.info(
                    error, exc_info=original if isinstance(original, DomainError) else None
                )
            else:
                _errors_log.error(error, exc_info=error.original_error)


def build_schema(settings: Settings | None = None) -> strawberry.Schema:
    settings = settings or get_settings()
    documents = DocumentStore(settings.document_cache_size)
    # Compiled plans of the documents that passed, beside them (schema/compiled.py).
    plans = PlanStore(settings.document_cache_size)
    # The depth and alias rules are classes made by these constructors: made once here, not
    # per request (validation, and so the rules, are skipped for a cached document).
    rules = (
        *QueryDepthLimiter(max_depth=settings.max_query_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=settings.max_aliases).validation_rules,
        AuthenticationAlone,
    )
    compiled = [lambda: CompiledReads(store=plans)] if settings.compiled_reads else []
    # Production: introspection off unless a setting turns it on (suggestions: the masking
    # extension below, for every transport).
    hidden = [] if settings.introspection_enabled else [DisableIntrospection]
    schema = KinerjaSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        execution_context_class=LeanExecutionContext,
        extensions=[
            *hidden,
            lambda: DocumentCache(store=documents),
            lambda: DocumentShape(max_selections=settings.max_selections, store=documents),
            # Depth, then aliases, then the isolation rule (schema/isolation.py: checked
            # over the document, then against the request's credentials by AnonymousOnly,
            # before its transaction opens); and the token limit of the parser.
            lambda: DocumentRules(rules, settings.max_tokens),
            lambda: CostLimit(max_cost=settings.max_query_cost, store=documents),
            AnonymousOnly,
            TenantTransaction,
            *compiled,  # inside the transaction: the region is fixed, RLS applies
            lambda: MaskUnexpectedErrors(
                should_mask_error=should_mask, hide_suggestions=not settings.suggestions_enabled
            ),
        ],
    )
    # A relation that could show a type's private columns to every viewer refuses to start.
    check_declarations(schema._schema)
    schema.compiled_plans = plans  # type: ignore[attr-defined]  # tests, diagnostics
    return schema


def export_sdl(settings: Settings | None = None) -> str:
    # The SDL does not depend on secrets or servers: build it with dev settings.
    return build_schema(settings or Settings(env="dev")).as_str() + "\n"
