"""The `kinerja` command.

Commands import what they run inside their own body: `kinerja --help` and the quick
commands stay quick (the GraphQL schema and the worker load in about 1.5 s). Lazy loading,
not cycle dodging: the import contracts (pyproject.toml) see these imports too."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

import kinerja_saas.regions.errors  # noqa: F401  (the labels of region fields)
from kinerja_saas.errors import CommonError, ErrorCode
from kinerja_saas.settings import get_settings

app = typer.Typer(
    help="Kinerja SaaS: performance management for Indonesian regions.", no_args_is_help=True
)
console = Console(width=max(Console().width, 100))


class CliError(ErrorCode):
    """What `kinerja …` commands tell an admin when they refuse (Bahasa Indonesia)."""

    DEMO_IN_PRODUCTION = (
        "DEMO_IN_PRODUCTION",
        "Menolak membuat login demo di lingkungan produksi (KINERJA_ENV=production).",
    )
    CHECKS_FAILED = "CHECKS_FAILED", "{count} pemeriksaan gagal: {names:dan}."
    SCHEMA_OUTDATED = (
        "SCHEMA_OUTDATED",
        "schema/schema.graphql sudah usang: jalankan kinerja export-schema.",
    )
    NO_DATABASE_URL = (
        "NO_DATABASE_URL",
        "Isi DATABASE_URL (peran pemilik): job yang mati dari semua wilayah hanya terbaca "
        "dengan peran itu.",
    )
    NO_JOB_IDS = "REQUIRED", "Sebutkan id job, atau gunakan --all."
    NOT_DEAD = "NOT_DEAD", "Bukan job yang mati (atau tidak dikenal): {ids:dan}."


def _refuse(error: ErrorCode, *, field: str | None = None, **params) -> None:
    """Prints a refusal in red; the caller exits with its status."""
    console.print(f"[red]{error.render(field, **params)} ({error.value})[/red]", highlight=False)


def _settings():
    return get_settings()


@app.command()
def migrate() -> None:
    """Apply database migrations as the owner (DATABASE_URL) and set up the app role."""
    from kinerja_saas.migrate import migrate as run

    asyncio.run(run(_settings()))
    console.print("[green]Migrations applied; app role ready.[/green]")


async def _seed():
    from kinerja_saas.database import close_db, init_app_db, owner_connection_params
    from kinerja_saas.runtime.seed import seed_demo

    settings = _settings()
    await init_app_db(settings)
    try:
        return await seed_demo(owner_connection_params(settings), settings)
    finally:
        await close_db()


def _print_logins(demo) -> None:
    """The demo logins, the regions that are not (fully) demo regions, the survey codes."""
    from kinerja_saas.runtime.seed import DEMO_PASSWORD

    table = Table(title=f"Demo logins (password for all: {DEMO_PASSWORD})")
    for column in ("region", "role", "e-mail"):
        table.add_column(column, overflow="fold", no_wrap=True)
    for row in demo.logins:
        table.add_row(*row)
    console.print(table)
    for region in demo.regions:
        if region.problem:
            console.print(f"[yellow]{region.slug}: {region.problem}[/yellow]")
    codes = [f"{r.slug} {r.survey_code}" for r in demo.regions if r.survey_code]
    if codes:
        console.print("Demo survey codes (surveyForm(code), page /s/<code>): " + ", ".join(codes))


def _print_tour(demo, base_url: str) -> None:
    """What `kinerja dev` prints last, once the server answers: the logins and one query
    per role to paste into GraphiQL."""
    from kinerja_saas.runtime.seed import DEMO_PASSWORD, try_this

    console.rule(f"[bold green]Kinerja is ready: {base_url}/graphql[/bold green]")
    _print_logins(demo)
    tries = try_this(demo, base_url)
    if not tries:
        return
    console.print(
        "[bold]Try this[/bold] in GraphiQL: log in, then put the token in the Headers tab as"
        ' {"Authorization": "Bearer <accessToken>"}:\n'
        f'  mutation {{ login(email: "<e-mail>", password: "{DEMO_PASSWORD}") {{ accessToken }} }}',
        soft_wrap=True,
    )
    for item in tries:
        who = f"{item.who} ({item.email})" if item.email else item.who
        console.print(f"[bold]{who}[/bold]\n  {item.query}", soft_wrap=True, highlight=False)
    console.rule()


@app.command("seed-demo")
def seed_demo(
    allow_production: bool = typer.Option(
        False, help="Seed even when KINERJA_ENV=production (demo logins share a public password)"
    ),
) -> None:
    """Create the demo regions, units, employees and logins (idempotent)."""
    if _settings().env == "production" and not allow_production:
        _refuse(CliError.DEMO_IN_PRODUCTION)
        raise typer.Exit(2)
    started = time.monotonic()
    demo = asyncio.run(_seed())
    _print_logins(demo)
    console.print(_seeded_line(demo, time.monotonic() - started))


def _seeded_line(demo, seconds: float) -> str:
    made = ", ".join(demo.created) or "none"
    return f"Demo data ready in {seconds:.1f} s (regions made now: {made}; the rest reused)."


def _listen_on(host: str | None, port: int | None):
    """The settings with --host/--port, also in the environment: links in e-mails and QR
    codes follow the real address (Settings.own_url), in uvicorn's worker processes too."""
    if host:
        os.environ["KINERJA_HOST"] = host
    if port:
        os.environ["KINERJA_PORT"] = str(port)
    get_settings.cache_clear()
    return _settings()


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)))


@app.command()
def serve(
    host: str = typer.Option(None, help="Bind address (default KINERJA_HOST)"),
    port: int = typer.Option(None, help="Port (default KINERJA_PORT)"),
    workers: int = typer.Option(
        None, min=1, help="Number of API processes (default: one per core this process may use)"
    ),
) -> None:
    """Serve the GraphQL API with uvicorn."""
    import uvicorn

    from kinerja_saas.logs import configure_logging

    # Each API process freezes its start-up heap out of the cyclic GC (app.settle_heap).
    os.environ.setdefault("KINERJA_GC_FREEZE", "true")
    settings = _listen_on(host, port)
    # One process serves one core's worth of Python; the default uses every core this
    # process may run on (a container's CPU set, not the host's count).
    workers = workers or default_workers()
    uvicorn.run(
        "kinerja_saas.runtime.app:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=workers,
        # Our JSON/console formatter, also in each of uvicorn's worker processes. No access
        # log: every GraphQL operation has its own line (name, outcome, duration).
        log_config=configure_logging(settings),
        log_level=settings.log_level.lower(),
        access_log=False,
        # The client's address behind trusted proxies comes from the app itself
        # (KINERJA_TRUSTED_PROXIES, kinerja_saas/runtime/client_address.py); uvicorn's would trust
        # 127.0.0.1 (or FORWARDED_ALLOW_IPS) on its own.
        proxy_headers=False,
    )


@app.command()
def worker(
    burst: bool = typer.Option(False, help="Exit when the queue is empty"),
    relay: bool = typer.Option(True, help="Also relay the outbox (safe in several workers)"),
) -> None:
    """Run an arq worker (jobs and the outbox relay). SIGTERM lets running jobs finish
    within KINERJA_WORKER_SHUTDOWN_GRACE_SECONDS and hands the rest back to the queue."""
    from kinerja_saas.logs import configure_logging
    from workers.runner import make_worker
    from workers.settings import worker_options

    settings = _settings()
    configure_logging(settings)
    if settings.worker_metrics_port:
        from kinerja_saas.metrics import serve_worker_metrics

        serve_worker_metrics(settings.worker_metrics_port)
    make_worker(settings, worker_options(settings, relay=relay), burst=burst).run()


@app.command()
def doctor() -> None:
    """Check a deployment: migrations, row-level security, roles, Redis, workers, outbox.
    Exits with status 1 when any check fails."""
    from kinerja_saas.runtime.doctor import run_checks

    checks = asyncio.run(run_checks(_settings()))
    table = Table(title="kinerja doctor")
    for column in ("check", "status", "detail"):
        table.add_column(column, overflow="fold")
    colours = {"ok": "green", "fail": "red", "skip": "yellow"}
    for check in checks:
        status = f"[{colours[check.status]}]{check.status.upper()}[/]"
        table.add_row(check.name, status, check.detail)
    console.print(table)
    failed = [c.name for c in checks if c.failed]
    if failed:
        _refuse(CliError.CHECKS_FAILED, count=len(failed), names=failed)
        raise typer.Exit(1)
    console.print("[green]All checks passed.[/green]")


@app.command("export-schema")
def export_schema(
    check: bool = typer.Option(False, help="Fail when the committed schema.graphql differs"),
) -> None:
    """Write the GraphQL SDL to schema/schema.graphql."""
    from schema.schema import SDL_PATH, export_sdl

    sdl = export_sdl()
    if check:
        if not SDL_PATH.exists() or SDL_PATH.read_text() != sdl:
            _refuse(CliError.SCHEMA_OUTDATED)
            raise typer.Exit(1)
        console.print("schema/schema.graphql is up to date")
        return
    SDL_PATH.write_text(sdl)
    console.print(f"wrote {SDL_PATH}")


@app.command()
def dev(
    host: str = typer.Option(None, help="Bind address (default KINERJA_HOST, 127.0.0.1)"),
    port: int = typer.Option(None, help="Port (default KINERJA_PORT, 8000)"),
    data_dir: Path = typer.Option(Path(".kinerja"), help="Where embedded servers keep data"),
) -> None:
    """What `make run` runs: embedded servers when none are configured, migrations, demo
    data, then the API and one worker in this process. Ctrl-C stops everything."""
    from kinerja_saas.runtime.embedded import use_embedded_if_unconfigured

    os.environ.setdefault("KINERJA_ENV", "dev")
    os.environ.setdefault("KINERJA_DATA_DIR", str(data_dir))  # the dev mailbox beside the data
    embedded = use_embedded_if_unconfigured(data_dir)
    settings = _listen_on(host, port)
    host, port = settings.host, settings.port
    from kinerja_saas.logs import configure_logging, quiet_dev_logs

    configure_logging(settings)
    quiet_dev_logs(settings)
    console.print(
        f"[bold]Using embedded PostgreSQL and Redis[/bold] under {data_dir.resolve()}"
        if embedded
        else "Using DATABASE_URL and REDIS_URL"
    )
    from kinerja_saas.migrate import migrate as run_migrations

    asyncio.run(run_migrations(settings))
    started = time.monotonic()
    demo = asyncio.run(_seed())
    console.print(_seeded_line(demo, time.monotonic() - started))
    console.print(f"GraphQL: {settings.own_url}/graphql  (Ctrl-C to stop)")
    console.print(
        f"Other kinerja commands, in another terminal while this runs:\n  {export_line(settings)}",
        soft_wrap=True,
    )
    try:
        asyncio.run(
            _serve_with_worker(
                settings, host, port, announce=lambda: _print_tour(demo, settings.own_url)
            )
        )
    finally:
        if embedded:
            from kinerja_saas.runtime.embedded import stop_embedded

            stop_embedded()


def export_line(settings) -> str:
    """What another terminal needs to reach this platform's servers: the same on every run
    of one data folder (the embedded servers' ports are stable)."""
    names = {
        "KINERJA_ENV": settings.env,
        "KINERJA_HOST": settings.host,
        "KINERJA_PORT": settings.port,
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": settings.redis_url,
    }
    return "export " + " ".join(f"{k}='{v}'" for k, v in names.items())


async def _serve_with_worker(settings, host: str, port: int, announce=None) -> None:
    import uvicorn

    from kinerja_saas.runtime.app import create_app
    from workers.runner import make_worker
    from workers.settings import worker_options

    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings),
            host=host,
            port=port,
            log_config=None,  # kinerja dev configured logging already
            log_level=settings.log_level.lower(),
            access_log=False,
            proxy_headers=False,  # KINERJA_TRUSTED_PROXIES decides (client_address.py)
        )
    )
    from kinerja_saas.logs import job_summaries

    job_worker = make_worker(settings, worker_options(settings), handle_signals=False)
    worker_task = asyncio.create_task(job_worker.async_run())
    tasks = [worker_task, asyncio.create_task(job_summaries(job_worker))]
    if announce is not None:
        tasks.append(asyncio.create_task(_announce_when_settled(server, settings, announce)))
    try:
        await server.serve()
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await job_worker.close()


async def _announce_when_settled(server, settings, announce, *, quiet=1.5, at_most=20.0) -> None:
    """Calls `announce` once the server answers and the start-up work has settled (the
    demo's outbox events relayed and their jobs run: no event waiting, no job due for
    `quiet` seconds, or `at_most` seconds passed), so what it prints comes last and does
    not scroll away under the worker's lines."""
    import asyncpg
    from redis.asyncio import Redis

    from kinerja_saas.database import relay_connection_params
    from kinerja_saas.outbox.service import backlog
    from workers.metrics import queue_stats

    while True:  # uvicorn sets a flag, no event
        if server.started:
            break
        await asyncio.sleep(0.1)
    redis = Redis.from_url(settings.redis_url)
    # Printing the tour never stops the platform: if Redis or the relay role cannot be
    # asked, it is printed at once.
    with contextlib.suppress(Exception):
        conn = await asyncpg.connect(**relay_connection_params(settings))
        try:
            deadline = time.monotonic() + at_most
            settled_since: float | None = None
            while time.monotonic() < deadline:
                _, due, _ = await queue_stats(redis)
                busy = due > 0 or await backlog(conn) > 0
                now = time.monotonic()
                if busy:
                    settled_since = None
                elif settled_since is None:
                    settled_since = now
                elif now - settled_since >= quiet:
                    break
                await asyncio.sleep(0.2)
        finally:
            await conn.close()
    with contextlib.suppress(Exception):
        await redis.aclose()
    announce()


operator_app = typer.Typer(help="Platform operators.", no_args_is_help=True)
app.add_typer(operator_app, name="operator")


@operator_app.command("create")
def operator_create(
    email: str = typer.Option(...),
    name: str = typer.Option(...),
    password: str = typer.Option(..., prompt=True, hide_input=True, confirmation_prompt=True),
) -> None:
    """Add a platform operator (uses the owner connection, DATABASE_URL)."""
    from kinerja_saas.auth.passwords import hash_password, password_problems
    from kinerja_saas.database import owner_connection_params
    from kinerja_saas.regions.operators import create_operator

    problems = password_problems(password, email=email)
    if problems:
        console.print(f"[red]{problems[0].message} ({problems[0].code})[/red]")
        raise typer.Exit(1)
    operator_id, created = asyncio.run(
        create_operator(
            owner_connection_params(_settings()),
            email=email,
            name=name,
            password_hash=hash_password(password),
        )
    )
    console.print(
        f"operator {email} ({operator_id}) " + ("created" if created else "already exists")
    )


tenant_app = typer.Typer(help="Regions: onboard one, import its roster.", no_args_is_help=True)
app.add_typer(tenant_app, name="tenant")


def _cli_operator():
    from kinerja_saas.auth.actor import Actor
    from kinerja_saas.auth.roles import Role

    user = os.environ.get("USER") or "cli"
    return Actor(
        user_id=0,
        tenant_id=None,
        roles=frozenset({Role.PLATFORM_OPERATOR}),
        email=f"cli:{user}",
        is_operator=True,
    )


@tenant_app.command("create")
def tenant_create(
    slug: str = typer.Option(..., help="Lowercase id used in URLs, e.g. kota-bengkulu"),
    name: str = typer.Option(..., help="Official name, e.g. 'Kota Bengkulu'"),
    kind: str = typer.Option(..., help="KABUPATEN, KOTA or PROVINSI"),
    province: str = typer.Option(...),
    timezone: str = typer.Option(
        "Asia/Jakarta", help="Asia/Jakarta, Asia/Makassar or Asia/Jayapura"
    ),
    admin_name: str = typer.Option(..., help="The region's first admin"),
    admin_email: str = typer.Option(...),
) -> None:
    """Onboard a region: defaults, reference data and its first admin (one transaction)."""
    from kinerja_saas.errors import ValidationFailed
    from kinerja_saas.regions.onboarding import RegionInput, onboard_region
    from tenants.models import RegionKind, RegionTimezone

    if kind.upper() not in {k.value for k in RegionKind}:
        _refuse(CommonError.INVALID, field="region.kind", values=[k.value for k in RegionKind])
        raise typer.Exit(2)
    if timezone not in {z.value for z in RegionTimezone}:
        _refuse(CommonError.INVALID, field="timezone", values=[z.value for z in RegionTimezone])
        raise typer.Exit(2)
    data = RegionInput(
        slug=slug,
        name=name,
        kind=RegionKind(kind.upper()),
        province=province,
        timezone=RegionTimezone(timezone),
        admin_name=admin_name,
        admin_email=admin_email,
    )

    async def run():
        from kinerja_saas.database import close_db, init_app_db
        from tenants.context import tenant_transaction

        settings = _settings()
        await init_app_db(settings)
        try:
            async with tenant_transaction(None):
                return await onboard_region(
                    actor=_cli_operator(), data=data, secret=settings.jwt_secret or ""
                )
        finally:
            await close_db()

    try:
        result = asyncio.run(run())
    except ValidationFailed as exc:
        for error in exc.errors:
            console.print(f"[red]{error.field}: {error.message} ({error.code})[/red]")
        raise typer.Exit(1) from exc
    console.print(f"[green]Region {result.tenant.name} ({result.tenant.slug}) onboarded.[/green]")
    console.print(
        f"Activation token for {result.admin.email} (one use, 14 days), to pass on "
        "securely; the admin sets a password with the activateAccount mutation:"
    )
    console.print(result.activation_token, soft_wrap=True)


@tenant_app.command("import")
def tenant_import(
    slug: str = typer.Argument(..., help="The region"),
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="The roster CSV"),
    dry_run: bool = typer.Option(False, help="Validate only"),
    deactivate_missing: bool = typer.Option(False, help="Deactivate employees not in the file"),
) -> None:
    """Import a region's roster from CSV, all or nothing (same rules as importEmployees)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from kinerja_saas.auth.actor import Actor
    from kinerja_saas.auth.roles import Role
    from kinerja_saas.errors import ValidationFailed
    from kinerja_saas.org import importing
    from kinerja_saas.org.models import ImportProblem, ImportStatus
    from tenants.context import tenant_transaction
    from tenants.models import Tenant

    async def run(progress: Progress):
        from kinerja_saas.database import close_db, init_app_db

        settings = _settings()
        await init_app_db(settings)
        task = progress.add_task("staging", total=None)

        def report(phase: str, done: int, total: int) -> None:
            progress.update(task, description=phase, completed=done, total=total or None)

        try:
            tenant = await Tenant.get_or_none(slug=slug)
            if tenant is None:
                raise ValidationFailed.one("slug", CommonError.NOT_FOUND)
            actor = Actor(
                user_id=0,
                tenant_id=tenant.id,
                roles=frozenset({Role.REGION_ADMIN}),
                email=_cli_operator().email,
            )
            async with tenant_transaction(tenant.id):
                with file.open("rb") as binary:
                    job = await importing.stage_import(
                        actor=actor,
                        filename=file.name,
                        binary=binary,
                        dry_run=dry_run,
                        deactivate_missing=deactivate_missing,
                        max_bytes=settings.import_max_bytes,
                        progress=report,
                        enqueue=False,  # this process runs it; no worker must too
                    )
            ran = await importing.run_import(
                tenant_id=tenant.id, job_id=job.id, actor=actor, progress=report
            )
            assert ran is not None  # staged just above
            progress.update(task, description="done", completed=ran.total_rows)
            problems = []
            if ran.status == ImportStatus.FAILED:
                async with tenant_transaction(tenant.id):
                    problems = (
                        await ImportProblem.filter(tenant_id=tenant.id, job_id=ran.id)
                        .order_by("line_no", "id")
                        .limit(200)
                    )
            return ran, problems
        finally:
            await close_db()

    columns = (
        TextColumn("{task.description:>10}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    try:
        with Progress(*columns, console=console) as progress:
            job, problems = asyncio.run(run(progress))
    except ValidationFailed as exc:
        for error in exc.errors:
            console.print(f"[red]{error.field}: {error.message} ({error.code})[/red]")
        raise typer.Exit(1) from exc
    if problems:
        table = Table(title=f"{job.error_count} problem(s); nothing was imported")
        for column in ("line", "field", "code", "message"):
            table.add_column(column, overflow="fold")
        for p in problems:
            table.add_row(str(p.line_no), p.field or "", p.code, p.message)
        console.print(table)
        raise typer.Exit(1)
    console.print(
        f"[green]{'Dry run OK' if job.dry_run else 'Imported'}:[/green] "
        + ", ".join(f"{k} {v}" for k, v in job.summary.items())
    )


@tenant_app.command("grant-role")
def tenant_grant_role(
    slug: str = typer.Argument(..., help="The region"),
    email: str = typer.Argument(..., help="The login (e.g. from the imported roster)"),
    role: str = typer.Argument(..., help="TRAINING_OFFICER or REGION_ADMIN"),
) -> None:
    """Give a region's login the TRAINING_OFFICER or REGION_ADMIN role (audited). The
    region admin then ties a training officer to a unit with setTrainingOfficer."""
    from kinerja_saas.auth.actor import Actor
    from kinerja_saas.auth.grants import grant_role
    from kinerja_saas.auth.models import UserAccount
    from kinerja_saas.auth.roles import Role
    from kinerja_saas.auth.service import normalise_email
    from kinerja_saas.errors import DomainError, ValidationFailed
    from tenants.context import tenant_transaction
    from tenants.models import Tenant

    try:
        wanted = Role(role.upper())
    except ValueError as exc:
        _refuse(CommonError.INVALID, field="role", values=[r.value for r in Role])
        raise typer.Exit(2) from exc

    async def run():
        from kinerja_saas.database import close_db, init_app_db

        await init_app_db(_settings())
        try:
            tenant = await Tenant.get_or_none(slug=slug)
            if tenant is None:
                raise ValidationFailed.one("slug", CommonError.NOT_FOUND)
            actor = Actor(
                user_id=0,
                tenant_id=tenant.id,
                roles=frozenset({Role.REGION_ADMIN}),
                email=_cli_operator().email,
            )
            async with tenant_transaction(tenant.id):
                account = await UserAccount.get_or_none(
                    tenant_id=tenant.id, email=normalise_email(email)
                )
                if account is None:
                    raise ValidationFailed.one("email", CommonError.NOT_FOUND)
                return await grant_role(actor=actor, user_id=account.id, role=wanted)
        finally:
            await close_db()

    try:
        account = asyncio.run(run())
    except DomainError as exc:
        for error in exc.errors:
            console.print(f"[red]{error.field}: {error.message} ({error.code})[/red]")
        raise typer.Exit(1) from exc
    console.print(f"{account.email} ({account.id}): {', '.join(sorted(account.roles))}")


@tenant_app.command("rebuild-read-models")
def tenant_rebuild_read_models(
    slugs: list[str] = typer.Argument(None, help="The regions (default: every region)"),
) -> None:
    """Recompute the read models of the regions (performance: plan progress, its counts,
    from their plans, realisations and evaluations; training: JP per employee and year, the
    effectiveness pairs, from the completed assignments), one transaction per region. Each
    write keeps them current; this is the repair after a bug, and the recompute the tests hold
    the incremental upkeep equal to."""
    from kinerja_saas.auth.actor import Actor
    from kinerja_saas.auth.roles import Role
    from kinerja_saas.performance.service import rebuild_read_models
    from kinerja_saas.training.admin import rebuild_read_models as rebuild_training
    from tenants.context import tenant_transaction
    from tenants.models import Tenant

    async def run() -> list[tuple[str, float]]:
        from kinerja_saas.database import close_db, init_app_db

        await init_app_db(_settings())
        done = []
        try:
            regions = await (Tenant.filter(slug__in=slugs) if slugs else Tenant.all()).order_by(
                "id"
            )
            if set(slugs or []) - {t.slug for t in regions}:
                _refuse(CommonError.NOT_FOUND, field="slug")
                raise typer.Exit(1)
            for tenant in regions:
                actor = Actor(
                    user_id=0,
                    tenant_id=tenant.id,
                    roles=frozenset({Role.REGION_ADMIN}),
                    email=_cli_operator().email,
                )
                started = time.perf_counter()
                async with tenant_transaction(tenant.id):
                    await rebuild_read_models(actor=actor)
                    await rebuild_training(actor=actor)
                done.append((tenant.slug, time.perf_counter() - started))
        finally:
            await close_db()
        return done

    for slug, seconds in asyncio.run(run()):
        console.print(f"{slug}: read models rebuilt in {seconds:.2f} s")


jobs_app = typer.Typer(
    help="Dead jobs: those that failed for a reason of their own and were parked.",
    no_args_is_help=True,
)
app.add_typer(jobs_app, name="jobs")


def _owner_params():
    from kinerja_saas.database import owner_connection_params

    settings = _settings()
    if not settings.database_url:
        _refuse(CliError.NO_DATABASE_URL)
        raise typer.Exit(2)
    return owner_connection_params(settings)


@jobs_app.command("list")
def jobs_list(
    region: str = typer.Option(None, help="Only this region (its slug)"),
    function: str = typer.Option(None, help="Only this job function"),
    all_: bool = typer.Option(False, "--all", help="Also the jobs already retried"),
) -> None:
    """List dead jobs, oldest first, with their last error."""
    import asyncpg

    from kinerja_saas.outbox import parking

    async def run():
        conn = await asyncpg.connect(**_owner_params())
        try:
            return await parking.list_parked(
                conn, region=region, function=function, include_retried=all_
            )
        finally:
            await conn.close()

    parked = asyncio.run(run())
    table = Table(title=f"Dead jobs ({len(parked)})")
    for column in ("id", "region", "function", "job id", "failures", "parked", "status", "error"):
        table.add_column(column, overflow="fold")
    for p in parked:
        table.add_row(
            str(p.id),
            p.region,
            p.function,
            p.job_id,
            str(p.failures),
            p.parked_at.strftime("%Y-%m-%d %H:%M:%S"),
            p.status if not p.retries else f"{p.status} (retried {p.retries}×)",
            p.error,
        )
    console.print(table)


@jobs_app.command("retry")
def jobs_retry(
    ids: list[int] = typer.Argument(None, help="Dead job ids (from `kinerja jobs list`)"),
    all_: bool = typer.Option(False, "--all", help="Every dead job (of --region/--function)"),
    region: str = typer.Option(None, help="With --all: only this region"),
    function: str = typer.Option(None, help="With --all: only this job function"),
) -> None:
    """Run dead jobs again, under their own job ids, with a fresh budget of tries."""
    if not ids and not all_:
        _refuse(CliError.NO_JOB_IDS)
        raise typer.Exit(2)
    import asyncpg

    from kinerja_saas.outbox import parking
    from workers.queue import connect, requeue
    from workers.tenant_job import failures_key

    async def run() -> tuple[list, list]:
        settings = _settings()
        conn = await asyncpg.connect(**_owner_params())
        redis = await connect(settings)
        try:
            async with conn.transaction():  # enqueued before the rows say RETRIED
                parked = await parking.list_parked(
                    conn, region=region, function=function, ids=ids or None, limit=10_000
                )
                claimed = await parking.mark_retried(conn, [p.id for p in parked])
                done: list[parking.ParkedJob] = []
                skipped: list[parking.ParkedJob] = []
                for p in parked:
                    if p.id not in claimed:
                        continue
                    await redis.delete(failures_key(p.job_id))
                    queued = await requeue(
                        redis, p.function, job_id=p.job_id, tenant_id=p.tenant_id, **p.kwargs
                    )
                    (done if queued else skipped).append(p)
            return done, skipped
        finally:
            await conn.close()
            await redis.aclose()

    done, skipped = asyncio.run(run())
    for p in done:
        console.print(f"requeued {p.id} {p.region} {p.function} {p.job_id}")
    for p in skipped:
        console.print(f"[yellow]{p.id} {p.job_id} was queued or running already[/yellow]")
    missing = sorted(set(ids or []) - {p.id for p in done + skipped})
    if missing:
        _refuse(CliError.NOT_DEAD, ids=[str(m) for m in missing])
        raise typer.Exit(1)
    console.print(f"[green]{len(done)} job(s) requeued.[/green]")


if __name__ == "__main__":
    app()
