"""Settings from the environment (pydantic-settings).

`DATABASE_URL` is the *owner* connection, used only for migrations and set-up.
The API and workers connect as the non-owner app role (`APP_DATABASE_URL`, or the
owner URL with the app role's user and password), so row-level security applies.
"""

from __future__ import annotations

import ipaddress
import os
import re
from email.utils import parseaddr
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from tenants.plans import check_overrides

DEV_JWT_SECRET = "dev-only-secret-change-me-dev-only-secret"
DEV_APP_DB_PASSWORD = "kinerja-app-dev"
DEV_SMTP_FROM = "Kinerja <no-reply@kinerja.localhost>"
_HTTP_URL = re.compile(r"^https?://[^/\s?#]+(/[^\s?#]*)?$")

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(value: str) -> tuple[Network, ...]:
    """ "10.0.0.10, 10.1.0.0/16, fd00::/8" → networks; raises ValueError naming a bad item."""
    networks = []
    for item in (part.strip() for part in value.split(",")):
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ValueError(f"{item!r} is not an address or network (CIDR)") from None
    return tuple(networks)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KINERJA_", extra="ignore")

    # Production unless told otherwise: a forgotten variable must never mean a published
    # signing secret. `make run` / `kinerja dev` and the tests set dev and test.
    env: Literal["dev", "test", "production"] = "production"
    data_dir: Path = Path(".kinerja")

    # Secrets (and URLs that may hold a password) stay out of repr(settings) and logs.
    database_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("DATABASE_URL", "KINERJA_DATABASE_URL"),
        repr=False,
    )
    app_database_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("APP_DATABASE_URL", "KINERJA_APP_DATABASE_URL"),
        repr=False,
    )
    redis_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("REDIS_URL", "KINERJA_REDIS_URL"),
        repr=False,
    )
    app_db_user: str = "kinerja_app"
    # The outbox relay's role: may only claim events (kinerja migrate creates it).
    relay_database_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("RELAY_DATABASE_URL", "KINERJA_RELAY_DATABASE_URL"),
        repr=False,
    )
    relay_db_user: str = "kinerja_relay"
    app_db_password: str | None = Field(default=None, repr=False)
    db_pool_min: int = 1
    db_pool_max: int = 20

    jwt_secret: str | None = Field(default=None, repr=False)
    # Rotating the signing secret: the old one, accepted for verification only (tokens
    # signed with it keep working until they expire or are refreshed; new tokens are
    # signed with jwt_secret). See docs/operations.md, Security.
    jwt_previous_secret: str | None = Field(default=None, repr=False)
    access_token_ttl_seconds: int = 15 * 60
    refresh_token_ttl_seconds: int = 30 * 24 * 3600
    # Login throttling (kinerja_saas/auth/throttle.py, docs/security.md "Accounts and
    # webhooks"). Failed logins block one client of one account, or one address; the
    # account as a whole is only slowed down, for clients it does not know.
    login_failures_per_client: int = 5  # per (account, address or known device) per window
    login_failures_per_ip: int = 20  # per address, any account, per window
    login_failure_window_seconds: int = 15 * 60
    login_account_free_attempts: int = 5  # per account, before the pace starts
    login_account_delay_base_seconds: float = 1.0  # the pace: base x 2^k ...
    login_account_delay_max_seconds: float = 60.0  # ... capped: the bound of the pace
    login_account_pace_window_seconds: int = 3600  # quiet this long, the pace starts over
    device_token_ttl_seconds: int = 180 * 24 * 3600  # "this device logged in here before"
    # Revocation of access tokens (kinerja_saas/auth/revocation.py): each API process reads
    # the recent revocations this often (Redis pub/sub wakes it at once in between).
    revocation_poll_seconds: float = 2.0

    host: str = "127.0.0.1"
    port: int = 8000
    # The reverse proxies in front of the API (comma-separated addresses or CIDR networks;
    # KINERJA_FORWARDED_ALLOW_IPS is the old name): only a request from one of them has its
    # client's address read from `proxy_header`, which every per-IP limit then counts
    # (kinerja_saas/runtime/client_address.py). Empty: the peer is the client, headers are ignored.
    trusted_proxies: str = Field(
        default="",
        validation_alias=AliasChoices(
            "KINERJA_TRUSTED_PROXIES", "KINERJA_FORWARDED_ALLOW_IPS", "trusted_proxies"
        ),
    )
    # The header those proxies set (nginx: X-Forwarded-For); the other one is never read.
    proxy_header: Literal["x-forwarded-for", "forwarded"] = "x-forwarded-for"
    graphiql: bool | None = None
    # Production shows strangers nothing of the schema: introspection and the "Did you mean
    # …?" suggestions of GraphQL's errors are off there unless turned on here (None: on
    # outside production). Frontends use the exported schema/schema.graphql instead.
    introspection: bool | None = None
    field_suggestions: bool | None = None

    # Abuse limits of the GraphQL endpoint.
    max_page_size: int = 100
    max_query_depth: int = 10
    max_aliases: int = 30
    max_tokens: int = 2000
    max_query_cost: int = 20000
    max_selections: int = 2000  # fields once fragments are expanded
    max_body_bytes: int = 1_000_000
    # Documents that passed the guards and validation, kept by their text (0: none).
    document_cache_size: int = 256
    # Responses of identical read documents per region and viewer, for up to a second
    # (schema/response_cache.py, docs/response-cache.md); 0 turns the cache off.
    response_cache_entries: int = Field(default=1000, ge=0)
    # Queries whose every field has an SQL twin run as one statement building the JSON in
    # PostgreSQL (schema/compiled.py, docs/compiled-queries.md); False: field by field.
    compiled_reads: bool = True
    # `kinerja serve` sets it for its processes: once started, everything alive (modules, the
    # schema, the pool) leaves the cyclic GC's view (gc.freeze), so a full collection scans
    # only what requests made since, not the whole start-up heap (80–240 ms pauses under
    # load before; bench/README.md, "p99 ≤ 3× own p50").
    gc_freeze: bool = False
    # Uploads (multipart requests) may be larger: a roster of 20,000 ASN is about 3 MB.
    import_max_bytes: int = 20_000_000

    # Adds an X-SQL-Statements header to every response (dev and benchmarks).
    debug_headers: bool = False

    # Observability (docs/operations.md). Logs: JSON lines in production, console lines
    # elsewhere, unless set. /metrics on the API; each worker serves its own metrics on
    # `worker_metrics_port` (None: not served). Operation names become a metrics label:
    # past `metrics_max_operations` distinct names the rest count as "other".
    log_format: Literal["json", "console"] | None = None
    log_level: str = "INFO"
    metrics_enabled: bool = True
    # The scraper's bearer token for the API's /metrics. Unset: /metrics is open outside
    # production and not served in production (it tells queue depths, operation names and
    # the pool's use to anyone who asks).
    metrics_token: str | None = Field(default=None, repr=False)
    metrics_max_operations: int = Field(default=200, ge=1, le=5000)
    worker_metrics_port: int | None = Field(default=None, ge=1, le=65535)
    # Workers refresh arq's health-check key this often; it expires one second later, so
    # a key that exists means a worker polled the queue within this many seconds.
    worker_heartbeat_seconds: int = Field(default=30, ge=1, le=3600)
    # `kinerja doctor` fails when more outbox events than this wait for the relay.
    doctor_outbox_backlog_max: int = Field(default=1000, ge=0)

    # Fair sharing between regions (docs/operations.md). Request limits per region and per
    # login come from the region's plan (tenants/plans.py); `plan_limits` overrides them,
    # e.g. {"LARGE": {"region_requests_per_minute": 30000}}. When Redis does not answer
    # within `rate_limit_timeout_seconds` requests are let through (a warning is logged).
    rate_limits_enabled: bool = True
    plan_limits: dict[str, dict[str, int]] = Field(default_factory=dict)
    rate_limit_timeout_seconds: float = Field(default=0.25, gt=0, le=10)
    # One region's operations hold at most this share of the API process's pool at once (5 of
    # 20: on 2 cores the CPU, not the pool, runs out first, bench.load);
    # the rest wait up to `region_db_wait_seconds` for a slot, then get BUSY.
    region_db_share: float = Field(default=0.25, gt=0, le=1)
    region_db_wait_seconds: float = Field(default=5.0, ge=0, le=120)
    # Operations of all regions running at once in one API process (0: two per core). Near
    # what the cores can run, so a freed slot goes to the least busy waiting region soon.
    api_max_running_operations: int = Field(default=0, ge=0)
    # They are shared between the regions at work: with an operation running or waiting, or
    # one that ended within this many seconds (people think between clicks).
    region_active_seconds: float = Field(default=5.0, ge=0, le=300)
    # And its time: regions at work beside others share this many seconds of slot time per
    # second, max-min (0: half a second per core, headroom for latency; -1: no pacing).
    api_shared_busy_seconds: float = Field(default=0.0, ge=-1)
    # Jobs of one region running at once across all workers (0: no cap). A job beyond it
    # waits in its region's waiting list and is woken when a slot frees (workers/fair_queue.py).
    worker_region_max_jobs: int = Field(default=3, ge=0)
    # A waiting job looks at its region again after this even if nothing woke it (doubling
    # each time it finds the region still full, up to an hour): only a safety net, since a
    # released or lapsed slot wakes the head of the waiting list at once.
    worker_region_wait_seconds: float = Field(default=30.0, gt=0, le=3600)
    # Running jobs hold leases (arq's in-progress key and their region slot) that their
    # live worker renews every `worker_lease_renew_seconds`: a killed worker's jobs run
    # again, and its slots free, at most one lease after it died, while a live job of any
    # length is never started twice (workers/runner.py).
    worker_lease_seconds: float = Field(default=30.0, gt=0, le=3600)
    worker_lease_renew_seconds: float = Field(default=10.0, gt=0, le=1200)
    # A job whose dependency (PostgreSQL, Redis) is unavailable is retried without limit,
    # backing off 0.5, 1, 2, 4 … s up to this: it resumes at most this long after the
    # dependency returns, however long the outage was.
    job_retry_max_seconds: float = Field(default=15.0, gt=0, le=3600)
    # A job failing for a reason of its own (a bug, bad data) is tried this many times,
    # `job_failure_backoff_seconds` × 4ⁿ apart (capped at 5 minutes), then parked as dead
    # in PostgreSQL for an operator (`kinerja jobs list|retry`).
    job_max_failures: int = Field(default=5, ge=1, le=100)
    job_failure_backoff_seconds: float = Field(default=1.0, ge=0, le=300)

    outbox_poll_seconds: float = 1.0
    outbox_batch_size: int = 200
    # Public survey submissions per code (QR code) and minute: per client (an IPv4 address
    # or an IPv6 /64; a counter's kiosk serves many citizens), and over all clients, a
    # ceiling that takes many clients to reach (kinerja_saas/surveys/ratelimit.py).
    survey_rate_limit_per_code_client_per_minute: int = 30
    survey_rate_limit_per_code_per_minute: int = 3000
    # Submissions within this window share one aggregation run per (campaign, service).
    # 1 s: a submission is visible within about two windows even under a steady stream.
    survey_aggregate_debounce_seconds: float = 1.0
    worker_poll_seconds: float = 0.05  # how often an idle arq worker looks for due jobs
    # On SIGTERM a worker stops taking jobs and lets running ones finish for this long;
    # what still runs then is cancelled and handed back to the queue (it runs again).
    worker_shutdown_grace_seconds: float = Field(default=25.0, ge=0)
    # Recipients per fan-out statement (and commit): bounds a job step's time and memory.
    notification_batch_size: int = 5000

    # E-mail. Links in e-mails (activation, password reset, notifications) are made absolute
    # with `public_url`: the frontend's address. Unset outside production: this platform's
    # own address (`own_url`, the host and port it listens on). Without an SMTP host, dev and
    # test write each message as an .eml file into <data_dir>/mailbox/; production then
    # leaves deliveries PENDING and logs a warning.
    # Generated documents (kinerja_saas/documents/storage.py): "folder" keeps them under
    # <data_dir>/documents (dev, tests, one machine) and serves them through signed links of
    # this platform; "s3" puts them in S3-compatible object storage (MinIO in
    # docker-compose.yml) and hands out presigned URLs. Links live this many seconds.
    document_storage: Literal["folder", "s3"] = "folder"
    document_link_seconds: int = Field(default=300, ge=10, le=86_400)
    s3_endpoint: str | None = None  # e.g. http://minio:9000; unset: AWS
    # The address browsers reach the storage at, when it is not `s3_endpoint` (compose:
    # the API talks to http://minio:9000, a browser to http://localhost:9000). Presigned
    # URLs are signed for this host; signing needs no connection.
    s3_public_endpoint: str | None = None
    s3_bucket: str | None = None
    s3_region: str = "us-east-1"
    s3_access_key_id: str | None = Field(default=None, repr=False)
    s3_secret_access_key: str | None = Field(default=None, repr=False)
    public_url: str | None = None
    # Where this platform itself is reached: the survey page /s/… and the QR codes that print
    # it (`platform_url()`). Unset: outside production the address a request came to, in
    # production `public_url` (one public host for both).
    survey_public_url: str | None = None
    smtp_host: str | None = None
    smtp_port: int | None = Field(default=None, ge=1, le=65535)  # by security: 587/465/25
    smtp_username: str | None = None
    smtp_password: str | None = Field(default=None, repr=False)
    smtp_security: Literal["starttls", "tls", "none"] = "starttls"
    smtp_from: str | None = None
    smtp_timeout_seconds: float = Field(default=30.0, gt=0, le=600)
    email_batch_size: int = Field(default=50, ge=1, le=1000)  # claimed and sent per step
    email_max_attempts: int = Field(default=8, ge=1, le=50)  # then DEAD
    email_retry_base_seconds: int = Field(default=60, ge=1)  # ×4 per attempt …
    email_retry_max_seconds: int = Field(default=6 * 3600, ge=1)  # … up to this
    # A SENDING claim older than this is a killed worker's: back to PENDING. Above a
    # batch's worst case (email_batch_size × smtp_timeout_seconds).
    email_claim_timeout_minutes: int = Field(default=30, ge=1)
    email_digest_hour: int = Field(default=7, ge=0, le=23)  # in each region's time zone

    @field_validator("plan_limits")
    @classmethod
    def _known_plan_limits(cls, value: dict) -> dict:
        return check_overrides(value)

    @property
    def api_running_operations(self) -> int:
        """Operations of all regions running at once in this API process."""
        return self.api_max_running_operations or 2 * (os.cpu_count() or 1)

    @property
    def api_busy_seconds_per_second(self) -> float | None:
        """Slot time the regions at work share per second (None: not paced)."""
        if self.api_shared_busy_seconds < 0:
            return None
        return self.api_shared_busy_seconds or (os.cpu_count() or 1) / 2

    @property
    def region_db_slots(self) -> int:
        """Concurrent operations of one region in this process."""
        return max(1, int(self.db_pool_max * self.region_db_share))

    @field_validator("trusted_proxies")
    @classmethod
    def _proxy_networks(cls, value: str) -> str:
        parse_networks(value)  # "*" and names are refused: proxies are named, never guessed
        return value

    @property
    def trusted_proxy_networks(self) -> tuple:
        return parse_networks(self.trusted_proxies)

    @field_validator("proxy_header", mode="before")
    @classmethod
    def _lower_header(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("smtp_security", mode="before")
    @classmethod
    def _lower_security(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator(
        "smtp_host",
        "smtp_username",
        "smtp_password",
        "smtp_from",
        "public_url",
        "survey_public_url",
    )
    @classmethod
    def _blank_is_unset(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None

    @property
    def own_url(self) -> str:
        """The address this platform listens on (KINERJA_HOST, KINERJA_PORT; `kinerja dev`
        and `kinerja serve` set them from --host/--port), as a browser on this machine
        reaches it: a wildcard bind is reached on the loopback address."""
        host = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}.get(self.host, self.host)
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"  # IPv6
        return f"http://{host}:{self.port}"

    def platform_url(self, request_base: str | None = None) -> str | None:
        """The base of the platform's own public URLs (the survey page, its QR codes,
        `surveyUrl`) for a request that came to `request_base`; None: not known."""
        if self.survey_public_url:
            return self.survey_public_url
        if self.env == "production":
            # Never the request's Host header there: a forged one would print in QR codes.
            return self.public_url
        return (request_base or self.own_url).rstrip("/")

    def _email_problems(self) -> list[str]:
        production = self.env == "production"
        problems = []
        if self.public_url is None:
            if production and self.smtp_host:
                problems.append("KINERJA_PUBLIC_URL must be set when e-mail is sent")
            self.public_url = None if production else self.own_url
        elif not _HTTP_URL.match(self.public_url):
            problems.append("KINERJA_PUBLIC_URL must be an http(s) URL, e.g. https://kinerja.id")
        else:
            self.public_url = self.public_url.rstrip("/")
        if self.survey_public_url is not None:
            if not _HTTP_URL.match(self.survey_public_url):
                problems.append("KINERJA_SURVEY_PUBLIC_URL must be an http(s) URL")
            self.survey_public_url = self.survey_public_url.rstrip("/")
        if self.smtp_from is None:
            if production and self.smtp_host:
                problems.append("KINERJA_SMTP_FROM must be set when e-mail is sent")
            self.smtp_from = DEV_SMTP_FROM
        elif "@" not in parseaddr(self.smtp_from)[1]:
            problems.append("KINERJA_SMTP_FROM must be an address, e.g. Kinerja <no-reply@x.id>")
        if (self.smtp_username is None) != (self.smtp_password is None):
            problems.append("set both KINERJA_SMTP_USERNAME and KINERJA_SMTP_PASSWORD, or neither")
        if self.email_retry_max_seconds < self.email_retry_base_seconds:
            problems.append("KINERJA_EMAIL_RETRY_MAX_SECONDS is below the base delay")
        return problems

    # Webhooks. Private, loopback and link-local targets are refused in production (a
    # region admin must not make the platform call its own network); None: allowed in dev
    # and test only, so local receivers work there.
    webhook_allow_private: bool | None = None
    webhook_timeout_seconds: float = 10.0
    webhook_max_attempts: int = 8  # per (re)delivery; then the delivery is DEAD
    # Retry n waits base × 4^(n-1), capped: 30 s, 2 min, 8 min, 32 min, 2 h 8 min, 6 h, 6 h.
    # With KINERJA_ENV=test (the test suite) the defaults are 10 ms and 50 ms, so a test's
    # burst worker never waits minutes for a retry of some other test's endpoint.
    webhook_backoff_base_seconds: float = 30.0
    webhook_backoff_max_seconds: float = 6 * 3600.0

    @property
    def jwt_verification_secrets(self) -> tuple[str, ...]:
        """The secrets a token's signature may be made with, the current one first."""
        return tuple(s for s in (self.jwt_secret, self.jwt_previous_secret) if s)

    def _secret_problems(self) -> list[str]:
        problems = []
        if self.env == "production":
            if not self.jwt_secret or len(self.jwt_secret) < 32:
                problems.append("KINERJA_JWT_SECRET must be set (32+ chars) in production")
            if not self.app_database_url and not self.app_db_password:
                problems.append("set APP_DATABASE_URL or KINERJA_APP_DB_PASSWORD in production")
        else:
            self.jwt_secret = self.jwt_secret or DEV_JWT_SECRET
            self.app_db_password = self.app_db_password or DEV_APP_DB_PASSWORD
        return problems

    @model_validator(mode="after")
    def _cross_checks(self) -> Settings:
        """Every problem at once, one per line (describe_problems prints them)."""
        problems = self._email_problems() + self._secret_problems()
        if self.document_storage == "s3" and not self.s3_bucket:
            problems.append("KINERJA_DOCUMENT_STORAGE=s3 needs KINERJA_S3_BUCKET")
        if problems:
            raise ValueError("\n".join(problems))
        return self

    @model_validator(mode="after")
    def _leases_renewed_in_time(self) -> Settings:
        # Two renewals may fail (a slow Redis, a busy loop) before a live job's lease lapses.
        if self.worker_lease_renew_seconds * 2 >= self.worker_lease_seconds:
            raise ValueError(
                "KINERJA_WORKER_LEASE_RENEW_SECONDS must be under half of KINERJA_WORKER_LEASE_SECONDS"
            )
        return self

    @model_validator(mode="after")
    def _fast_retries_in_tests(self) -> Settings:
        if self.env == "test":
            if "webhook_backoff_base_seconds" not in self.model_fields_set:
                self.webhook_backoff_base_seconds = 0.01
            if "webhook_backoff_max_seconds" not in self.model_fields_set:
                self.webhook_backoff_max_seconds = 0.05
        return self

    @property
    def webhook_private_urls_allowed(self) -> bool:
        if self.webhook_allow_private is not None:
            return self.webhook_allow_private
        return self.env != "production"

    @property
    def show_graphiql(self) -> bool:
        return self.graphiql if self.graphiql is not None else self.env != "production"

    @property
    def introspection_enabled(self) -> bool:
        return self.introspection if self.introspection is not None else self.env != "production"

    @property
    def suggestions_enabled(self) -> bool:
        if self.field_suggestions is not None:
            return self.field_suggestions
        return self.env != "production"


class ConfigurationError(SystemExit):
    """Invalid settings. A SystemExit, so the process ends with these lines and no traceback
    (the CLI, uvicorn's app factory, the arq worker's import)."""


def describe_problems(exc: ValidationError) -> str:
    """One line per bad setting, named as it is set (its environment variable), never with
    the value given: pydantic's own text repeats inputs, and a model check's the whole
    input, secrets included (the SMTP password of issue #15)."""
    lines = ["Invalid configuration:"]
    for error in exc.errors(include_url=False, include_input=False, include_context=False):
        message = str(error["msg"]).removeprefix("Value error, ")
        name = _variable(error["loc"])
        for line in message.splitlines():
            named = name and not line.startswith(name.split(" ")[0])
            lines.append(f"  {name}: {line}" if named else f"  {line}")
    return "\n".join(lines)


def _variable(loc: tuple) -> str | None:
    if not loc:
        return None  # a check across settings: its message names them
    field = Settings.model_fields.get(str(loc[0]))
    alias = field.validation_alias if field is not None else None
    if isinstance(alias, AliasChoices):
        return str(alias.choices[0])
    path = ".".join(str(part) for part in loc[1:])
    name = f"KINERJA_{str(loc[0]).upper()}"
    return f"{name} ({path})" if path else name


def load_settings(**values: object) -> Settings:
    try:
        return Settings(**values)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise ConfigurationError(describe_problems(exc)) from None


@lru_cache
def get_settings() -> Settings:
    return load_settings()
