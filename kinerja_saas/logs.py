"""Structured logs, configured once for `kinerja serve`, `kinerja worker` and `kinerja dev`.

Every line is one JSON object in production (`KINERJA_LOG_FORMAT=json`, the default there)
or a readable console line elsewhere. structlog loggers and stdlib `logging` records
(uvicorn, arq, strawberry, our `logging.getLogger(...)` calls) go through the same
processors, so each line carries the scope of the request or job that logged it
(`request_id`, `region`, `user`; `job_id`, `function`, `job_try`) and secrets are redacted
before anything is written.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import logging.config
import re
import uuid
from collections.abc import Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Literal

import structlog

from kinerja_saas.errors import DomainError

LogFormat = Literal["json", "console"]

# --- scope: fields every line of a request or job carries ---------------------------------

# One dict per request or job. Tasks started inside (DataLoader batches, resolvers run as
# tasks) inherit the reference, so what the view learns later (the region, the user)
# reaches their lines too; a new scope never leaks into the caller's.
_scope: ContextVar[dict[str, Any] | None] = ContextVar("kinerja_log_scope", default=None)

REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")  # echoed into logs and the audit log


def request_id_from(header: str | None) -> str:
    """The client's `X-Request-Id` when it is safe to echo, else a fresh one."""
    return header if header and REQUEST_ID.fullmatch(header) else uuid.uuid4().hex


@contextmanager
def log_scope(**fields: Any) -> Iterator[dict[str, Any]]:
    """Adds `fields` to every line logged in the block (by this task and tasks it starts)."""
    token = _scope.set({**(_scope.get() or {}), **_present(fields)})
    try:
        yield _scope.get()  # type: ignore[misc]
    finally:
        _scope.reset(token)


def enter_scope(**fields: Any) -> None:
    """A scope for the rest of the current task (an arq job runs in a task of its own)."""
    _scope.set({**(_scope.get() or {}), **_present(fields)})


def bind(**fields: Any) -> None:
    """Adds fields to the current scope, e.g. the region and user once the token is read."""
    scope = _scope.get()
    if scope is not None:
        scope.update(_present(fields))
    else:
        enter_scope(**fields)


def clear_scope() -> None:
    """No scope for the rest of the current context: for a background task started from a
    request, whose lines are not that request's."""
    _scope.set(None)


def current(field: str) -> Any:
    return (_scope.get() or {}).get(field)


def _present(fields: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in fields.items() if v is not None}


def add_scope(_logger: Any, _method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    for key, value in (_scope.get() or {}).items():
        event_dict.setdefault(key, value)
    return event_dict


# --- redaction ---------------------------------------------------------------------------

REDACTED = "[REDACTED]"
# Keys whose values are never written, wherever they appear (nested dicts included).
SECRET_KEY = re.compile(
    r"pass(word|wd)?$|passphrase|secret|token|authorization|cookie|api_?key|credential"
    r"|activation|signature|private_?key|smtp_password|jwt|^dsn$",
    re.IGNORECASE,
)
# Secrets inside free text (messages, exception texts, reprs of job arguments).
_SECRET_TEXT = (
    (re.compile(r"eyJ[\w-]{5,}\.[\w-]{5,}\.[\w-]+"), REDACTED),  # a JWT
    (re.compile(r"(?i)\b(bearer)\s+[^\s,;'\"]+"), rf"\1 {REDACTED}"),
    # token=…, password=…, secret=… in URLs (the activation link's fragment) and texts
    (
        re.compile(
            r"(?i)\b((?:access_|refresh_|activation_)?token|password|secret|api_?key)"
            r"(['\"]?\s*[=:]\s*['\"]?)[^\s&#,;'\"}]+"
        ),
        rf"\1\2{REDACTED}",
    ),
    (re.compile(r"(\b[a-z][a-z0-9+.-]*://[^:/\s@]+:)[^@\s/]+@"), rf"\1{REDACTED}@"),  # URL password
)


# A literal every pattern of _SECRET_TEXT needs: "eyJ" (the JWT, case-sensitive), and, in
# the lower-cased text, "bearer", one of the key words, or "://". Checked only on ASCII texts:
# there `lower()` folds exactly as the patterns' IGNORECASE does, while in Unicode IGNORECASE
# also matches e.g. "ſ" (U+017F) to "s" and "K" (U+212A) to "k", which `lower()` does not.
_SECRET_TEXT_WORDS = ("bearer", "token", "password", "secret", "api", "://")


def _may_hold_secret(text: str) -> bool:
    if not text.isascii() or "eyJ" in text:
        return True
    lowered = text.lower()
    return any(word in lowered for word in _SECRET_TEXT_WORDS)


def redact_text(text: str) -> str:
    """`text` with its secrets replaced; the patterns run only on a text that holds one of
    the literals they all need (a log line's ids, names and outcomes hold none)."""
    if not _may_hold_secret(text):
        return text
    for pattern, replacement in _SECRET_TEXT:
        text = pattern.sub(replacement, text)
    return text


@functools.lru_cache(maxsize=1024)
def _secret_key(key: str) -> bool:
    """Whether a key's value is never written; keys come from code and repeat every line."""
    return SECRET_KEY.search(key) is not None


def _redact(value: Any, depth: int = 0) -> Any:
    if isinstance(value, str):
        return redact_text(value)
    if depth > 5:
        return value
    if isinstance(value, Mapping):
        return {
            k: REDACTED if isinstance(k, str) and _secret_key(k) else _redact(v, depth + 1)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [_redact(v, depth + 1) for v in value]
    return value


def redact(_logger: Any, _method: str, event_dict: MutableMapping[str, Any]) -> dict[str, Any]:
    """The last step before rendering: secret keys lose their values, texts their tokens."""
    return _redact(event_dict)


# --- configuration -----------------------------------------------------------------------

# Record attributes that repeat the event: `message` (set by any formatter that ran
# before ours) and uvicorn's `color_message`.
_NOT_EXTRA = ("message", "color_message")


def _drop_duplicates(_logger: Any, _method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    for key in _NOT_EXTRA:
        event_dict.pop(key, None)
    return event_dict


def _expected_graphql_errors(
    _logger: Any, _method: str, event_dict: dict[str, Any]
) -> dict[str, Any]:
    """Strawberry logs every GraphQL error at ERROR with its traceback. Errors the client
    caused (an invalid document, not logged in, no permission, not found, invalid input)
    are expected: one INFO line with their code. Unexpected ones stay ERROR with the trace."""
    if event_dict.get("logger") != "strawberry.execution":
        return event_dict
    exc_info = event_dict.get("exc_info")
    error = exc_info[1] if isinstance(exc_info, tuple) else exc_info
    if error is None or isinstance(error, DomainError):
        event_dict["level"] = "info"
        event_dict.pop("exc_info", None)
        if isinstance(error, DomainError):
            event_dict["code"] = error.code
    return event_dict


_SHARED: list[Any] = [
    structlog.contextvars.merge_contextvars,
    add_scope,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.stdlib.ExtraAdder(),
    _drop_duplicates,
    _expected_graphql_errors,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def _configure_structlog() -> None:
    if structlog.is_configured():
        return
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            structlog.stdlib.PositionalArgumentsFormatter(),
            *_SHARED,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def formatter(fmt: LogFormat = "json") -> logging.Formatter:
    """The formatter of every handler (also built by uvicorn's dictConfig in each of its
    worker processes, which is why it configures structlog as well)."""
    _configure_structlog()
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(
            colors=False, exception_formatter=structlog.dev.plain_traceback
        )
    )
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_SHARED,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,  # before redact: tracebacks are text too
            redact,
            renderer,
        ],
    )


def logging_config(fmt: LogFormat, level: str = "INFO") -> dict[str, Any]:
    """A `logging.config.dictConfig` dict (uvicorn takes it as `log_config`)."""
    propagate = {"handlers": [], "propagate": True}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"kinerja": {"()": "kinerja_saas.logs.formatter", "fmt": fmt}},
        "handlers": {
            "default": {
                "class": "logging.StreamHandler",
                "formatter": "kinerja",
                "stream": "ext://sys.stdout",
            }
        },
        "root": {"handlers": ["default"], "level": level.upper()},
        # Loggers that libraries configure with handlers of their own: through ours instead.
        "loggers": {name: dict(propagate) for name in ("uvicorn", "uvicorn.error", "arq")},
    }


def log_format(settings: Any) -> LogFormat:
    if settings.log_format:
        return settings.log_format
    return "json" if settings.env == "production" else "console"


def configure_logging(settings: Any) -> dict[str, Any]:
    """Configures the process's logging; returns the dict for uvicorn's `log_config`."""
    config = logging_config(log_format(settings), settings.log_level)
    logging.config.dictConfig(config)
    return config


def get_logger(name: str) -> Any:
    _configure_structlog()
    return structlog.get_logger(name)


# --- dev: one summary line instead of a line per job ---------------------------------------

JOB_SUMMARY_SECONDS = 30.0


class _JobLinesAtDebug(logging.Filter):
    """arq logs two INFO lines per job (`0.05s → job(...)`, `0.05s ← job ●`): hundreds in the
    first seconds of `kinerja dev` (cron schedules, the demo data's events), which scroll the
    demo logins away. They become DEBUG lines, shown only at KINERJA_LOG_LEVEL=DEBUG."""

    def __init__(self, show: bool) -> None:
        super().__init__()
        self.show = show

    def filter(self, record: logging.LogRecord) -> bool:
        per_job = isinstance(record.msg, str) and record.msg.startswith(
            ("%6.2fs", "recording health")  # and the heartbeat's line, the summary's twin
        )
        if not per_job or record.levelno != logging.INFO:
            return True  # warnings and errors (a job that failed) stay
        record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return self.show


def quiet_dev_logs(settings: Any) -> None:
    """In `kinerja dev`: per-job worker lines at DEBUG (job_summaries() sums them up), and
    the embedded PostgreSQL's start and stop commands only when they fail."""
    if str(settings.log_level).upper() != "DEBUG":
        logging.getLogger("pgserver").setLevel(logging.WARNING)
    worker_log = logging.getLogger("arq.worker")
    for old in [f for f in worker_log.filters if isinstance(f, _JobLinesAtDebug)]:
        worker_log.removeFilter(old)
    worker_log.addFilter(_JobLinesAtDebug(str(settings.log_level).upper() == "DEBUG"))


async def job_summaries(worker: Any, every: float = JOB_SUMMARY_SECONDS) -> None:
    """Every `every` seconds in which jobs ran, one line: how many finished, failed, retried
    (arq's counters of this worker)."""
    log = get_logger("kinerja.worker")
    seen = (0, 0, 0)
    while True:
        await asyncio.sleep(every)
        now = (worker.jobs_complete, worker.jobs_failed, worker.jobs_retried)
        done, failed, retried = (a - b for a, b in zip(now, seen, strict=True))
        seen = now
        if done or failed or retried:
            log.info(
                f"worker: {done} jobs done, {failed} failed, {retried} retried"
                f" in the last {every:.0f} s (KINERJA_LOG_LEVEL=DEBUG shows each)"
            )
