"""`kinerja serve`'s processes freeze their start-up heap out of the cyclic GC
(kinerja_saas.runtime.app.settle_heap): a full collection under load then walks only what
requests made since start-up, not the modules, the schema and the pool (80–240 ms pauses of
the event loop before, bench/README.md)."""

from __future__ import annotations

import gc

from kinerja_saas.runtime import cli
from kinerja_saas.runtime.app import create_app
from kinerja_saas.settings import Settings


async def _started(settings) -> int:
    """How many objects are frozen once the app's start-up ran."""
    app = create_app(settings)
    gc.unfreeze()
    try:
        async with app.router.lifespan_context(app):
            return gc.get_freeze_count()
    finally:
        gc.unfreeze()


async def test_a_serving_process_freezes_its_start_up_heap(settings):
    frozen = await _started(settings.model_copy(update={"gc_freeze": True}))
    assert frozen > 10_000  # the modules and the schema, at least


async def test_an_app_without_the_setting_freezes_nothing(settings):
    # Tests and embedded apps build many apps in one process: nothing is frozen there.
    assert await _started(settings.model_copy(update={"gc_freeze": False})) == 0


def test_serve_turns_it_on_for_its_processes(monkeypatch):
    """uvicorn's worker processes read the settings from the environment `serve` leaves."""
    import uvicorn

    for name, value in {"KINERJA_GC_FREEZE": "", "KINERJA_HOST": "", "KINERJA_PORT": ""}.items():
        monkeypatch.setenv(name, value)  # restored (unset) after the test
        monkeypatch.delenv(name)
    monkeypatch.setenv("KINERJA_ENV", "test")
    started = []
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: started.append(k))
    cli.serve(host="127.0.0.1", port=8099, workers=1)
    assert started and Settings().gc_freeze is True
