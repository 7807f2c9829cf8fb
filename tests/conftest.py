"""Shared fixtures: an isolated model cache, one embedded `tiny` server per session, loopback fault servers."""

from __future__ import annotations

import asyncio
import inspect
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from salesgen.llm.embedded import EmbeddedConfig, EmbeddedServer  # noqa: E402
from salesgen.llm.models import ModelFile, resolve_model  # noqa: E402
from salesgen.scenarios import load_all  # noqa: E402
from tools.fault_server import FaultConfig, FaultServer  # noqa: E402

load_all()  # the scenarios' judges join the panel's registry


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """Run `async def` tests with asyncio.run (no pytest-asyncio here); defers to pytest-asyncio if installed."""
    if not inspect.iscoroutinefunction(pyfuncitem.obj) or pyfuncitem.config.pluginmanager.hasplugin("asyncio"):
        return None
    args = {name: pyfuncitem.funcargs[name] for name in pyfuncitem._fixtureinfo.argnames}
    asyncio.run(pyfuncitem.obj(**args))
    return True


@pytest.fixture(scope="session", autouse=True)
def _isolated_model_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Tests never write into the user's ~/.cache: hashes and joined models go to a session temp dir."""
    mp = pytest.MonkeyPatch()
    path = tmp_path_factory.mktemp("salesgen-cache")
    mp.setenv("SALESGEN_CACHE", str(path))
    yield path
    mp.undo()


@pytest.fixture(scope="session")
def tiny_model(_isolated_model_cache: Path) -> ModelFile:
    return resolve_model("tiny", None)


@pytest.fixture(scope="session")
def embedded_tiny(tiny_model: ModelFile) -> Iterator[EmbeddedServer]:
    """One llama.cpp server with the tiny model for the whole session (2 slots × 2048 tokens, 1 thread)."""
    # One thread: when other processes compete for the cores, llama.cpp with threads = cores collapses
    # (measured 5 tok/s instead of 50 with one thread on a loaded 2-core machine).
    cfg = EmbeddedConfig(model_path=tiny_model.path, alias="tiny", n_parallel=2, ctx_per_slot=2048, threads=1)
    server = EmbeddedServer(cfg)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def fault_server() -> Iterator[Callable[..., FaultServer]]:
    """Factory: `srv = fault_server(latency=0.1, script=["429", "ok"])`; `srv.url` is the OpenAI base URL."""
    started: list[FaultServer] = []

    def start(**config) -> FaultServer:
        srv = FaultServer(FaultConfig(**config))
        srv.start_background()
        started.append(srv)
        return srv

    yield start
    for srv in started:
        srv.stop_background()
