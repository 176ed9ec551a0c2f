"""The `kinerja` command."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from kinerja_saas.settings import get_settings

app = typer.Typer(
    help="Kinerja SaaS: performance management for Indonesian regions.", no_args_is_help=True
)
console = Console(width=max(Console().width, 100))


def _settings():
    return get_settings()


@app.command()
def migrate() -> None:
    """Apply database migrations as the owner (DATABASE_URL) and set up the app role."""
    from kinerja_saas.migrate import migrate as run

    asyncio.run(run(_settings()))
    console.print("[green]Migrations applied; app role ready.[/green]")


async def _seed() -> list:
    from kinerja_saas.database import close_db, init_app_db
    from kinerja_saas.seed import seed_demo

    await init_app_db(_settings())
    try:
        return await seed_demo()
    finally:
        await close_db()


def _print_logins(logins: list) -> None:
    from kinerja_saas.seed import DEMO_PASSWORD

    table = Table(title=f"Demo logins (password for all: {DEMO_PASSWORD})")
    for column in ("region", "role", "e-mail"):
        table.add_column(column, overflow="fold", no_wrap=True)
    for row in logins:
        table.add_row(*row)
    console.print(table)


@app.command("seed-demo")
def seed_demo(
    allow_production: bool = typer.Option(
        False, help="Seed even when KINERJA_ENV=production (demo logins share a public password)"
    ),
) -> None:
    """Create the demo regions, units, employees and logins (idempotent)."""
    if _settings().env == "production" and not allow_production:
        console.print("[red]Refusing to create demo logins in production.[/red]")
        raise typer.Exit(2)
    _print_logins(asyncio.run(_seed()))


@app.command()
def serve(
    host: str = typer.Option(None, help="Bind address (default KINERJA_HOST)"),
    port: int = typer.Option(None, help="Port (default KINERJA_PORT)"),
    workers: int = typer.Option(1, help="Number of API processes"),
) -> None:
    """Serve the GraphQL API with uvicorn."""
    import uvicorn

    settings = _settings()
    uvicorn.run(
        "kinerja_saas.app:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers,
        log_level="info",
    )


@app.command()
def worker(
    burst: bool = typer.Option(False, help="Exit when the queue is empty"),
    relay: bool = typer.Option(True, help="Also relay the outbox (safe in several workers)"),
) -> None:
    """Run an arq worker (jobs and the outbox relay)."""
    from arq.worker import Worker

    from workers.settings import worker_options

    Worker(**worker_options(_settings(), relay=relay), burst=burst).run()


@app.command("export-schema")
def export_schema(
    check: bool = typer.Option(False, help="Fail when the committed schema.graphql differs"),
) -> None:
    """Write the GraphQL SDL to schema/schema.graphql."""
    from schema.schema import SDL_PATH, export_sdl

    sdl = export_sdl()
    if check:
        if not SDL_PATH.exists() or SDL_PATH.read_text() != sdl:
            console.print(
                "[red]schema/schema.graphql is out of date: run kinerja export-schema[/red]"
            )
            raise typer.Exit(1)
        console.print("schema/schema.graphql is up to date")
        return
    SDL_PATH.write_text(sdl)
    console.print(f"wrote {SDL_PATH}")


@app.command()
def dev(
    host: str = typer.Option("127.0.0.1"),
    port: int = typer.Option(8000),
    data_dir: Path = typer.Option(Path(".kinerja"), help="Where embedded servers keep data"),
) -> None:
    """What `make run` runs: embedded servers when none are configured, migrations, demo
    data, then the API and one worker in this process. Ctrl-C stops everything."""
    from kinerja_saas.embedded import use_embedded_if_unconfigured

    os.environ.setdefault("KINERJA_ENV", "dev")
    embedded = use_embedded_if_unconfigured(data_dir)
    settings = _settings()
    console.print(
        f"[bold]Using embedded PostgreSQL and Redis[/bold] under {data_dir.resolve()}"
        if embedded
        else "Using DATABASE_URL and REDIS_URL"
    )
    from kinerja_saas.migrate import migrate as run_migrations

    asyncio.run(run_migrations(settings))
    _print_logins(asyncio.run(_seed()))
    console.print(f"GraphQL: http://{host}:{port}/graphql  (Ctrl-C to stop)")
    asyncio.run(_serve_with_worker(settings, host, port))


async def _serve_with_worker(settings, host: str, port: int) -> None:
    import uvicorn
    from arq.worker import Worker

    from kinerja_saas.app import create_app
    from workers.settings import worker_options

    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host=host, port=port, log_level="info")
    )
    job_worker = Worker(**worker_options(settings), handle_signals=False)
    worker_task = asyncio.create_task(job_worker.async_run())
    try:
        await server.serve()
    finally:
        worker_task.cancel()
        await asyncio.gather(worker_task, return_exceptions=True)
        await job_worker.close()


if __name__ == "__main__":
    app()
