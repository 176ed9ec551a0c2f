"""Settings from the environment (pydantic-settings).

`DATABASE_URL` is the *owner* connection, used only for migrations and set-up.
The API and workers connect as the non-owner app role (`APP_DATABASE_URL`, or the
owner URL with the app role's user and password), so row-level security applies.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_JWT_SECRET = "dev-only-secret-change-me-dev-only-secret"
DEV_APP_DB_PASSWORD = "kinerja-app-dev"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KINERJA_", extra="ignore")

    # Production unless told otherwise: a forgotten variable must never mean a published
    # signing secret. `make run` / `kinerja dev` and the tests set dev and test.
    env: Literal["dev", "test", "production"] = "production"
    data_dir: Path = Path(".kinerja")

    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "KINERJA_DATABASE_URL")
    )
    app_database_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("APP_DATABASE_URL", "KINERJA_APP_DATABASE_URL"),
    )
    redis_url: str | None = Field(
        default=None, validation_alias=AliasChoices("REDIS_URL", "KINERJA_REDIS_URL")
    )
    app_db_user: str = "kinerja_app"
    # The outbox relay's role: may only claim events (kinerja migrate creates it).
    relay_database_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("RELAY_DATABASE_URL", "KINERJA_RELAY_DATABASE_URL"),
    )
    relay_db_user: str = "kinerja_relay"
    app_db_password: str | None = None
    db_pool_min: int = 1
    db_pool_max: int = 20

    jwt_secret: str | None = None
    access_token_ttl_seconds: int = 15 * 60
    refresh_token_ttl_seconds: int = 30 * 24 * 3600

    host: str = "127.0.0.1"
    port: int = 8000
    graphiql: bool | None = None

    # Abuse limits of the GraphQL endpoint.
    max_page_size: int = 100
    max_query_depth: int = 10
    max_aliases: int = 30
    max_tokens: int = 2000
    max_query_cost: int = 20000
    max_selections: int = 2000  # fields once fragments are expanded
    max_body_bytes: int = 1_000_000
    # Uploads (multipart requests) may be larger: a roster of 20,000 ASN is about 3 MB.
    import_max_bytes: int = 20_000_000

    # Adds an X-SQL-Statements header to every response (dev and benchmarks).
    debug_headers: bool = False

    outbox_poll_seconds: float = 1.0
    outbox_batch_size: int = 200
    # Public survey submissions per code (QR code) and minute, whatever the client's IP.
    survey_rate_limit_per_code_per_minute: int = 300
    # Submissions within this window share one aggregation run per (campaign, service).
    survey_aggregate_debounce_seconds: float = 2.0
    # Recipients per fan-out statement (and commit): bounds a job step's time and memory.
    notification_batch_size: int = 5000

    @model_validator(mode="after")
    def _secrets_outside_dev(self) -> Settings:
        if self.env == "production":
            if not self.jwt_secret or len(self.jwt_secret) < 32:
                raise ValueError("KINERJA_JWT_SECRET must be set (32+ chars) in production")
            if not self.app_database_url and not self.app_db_password:
                raise ValueError("set APP_DATABASE_URL or KINERJA_APP_DB_PASSWORD in production")
        else:
            self.jwt_secret = self.jwt_secret or DEV_JWT_SECRET
            self.app_db_password = self.app_db_password or DEV_APP_DB_PASSWORD
        return self

    @property
    def show_graphiql(self) -> bool:
        return self.graphiql if self.graphiql is not None else self.env != "production"


@lru_cache
def get_settings() -> Settings:
    return Settings()
