"""auth: the Query fields and their arguments (filters, orderings)."""

from __future__ import annotations

import strawberry

from kinerja_saas.auth import service as auth
from kinerja_saas.auth.errors import AuthError
from kinerja_saas.errors import AuthenticationFailed
from schema.auth.types import Me, me_of


@strawberry.type
class AuthQuery:
    @strawberry.field(description="The logged-in user; an error when the token is missing.")
    async def me(self, info: strawberry.Info) -> Me:
        actor = info.context.require_actor()
        account = await auth.current_account(actor=actor)
        if account is None:
            raise AuthenticationFailed(AuthError.ACCOUNT_INACTIVE)
        return me_of(actor, account.name)
