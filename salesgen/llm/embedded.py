"""llama.cpp's own HTTP server, started in-process with xllamacpp on 127.0.0.1 and a free port."""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import os
import threading
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from salesgen.core.errors import InputError

log = logging.getLogger(__name__)

HOST = "127.0.0.1"


@dataclass(frozen=True)
class EmbeddedConfig:
    model_path: Path
    alias: str = "local"  # the model name /v1/models reports
    n_parallel: int = 4  # KV-cache slots = requests decoded together (continuous batching)
    ctx_per_slot: int = 4096  # tokens per slot; the server's n_ctx is this × n_parallel
    threads: int | None = None  # generation threads; None = os.cpu_count()
    batch_threads: int | None = None  # prompt-processing threads; None = threads
    http_threads: int = 64  # so queued requests wait in llama.cpp's fair queue, not in the TCP backlog
    cache_ram_mib: int = 2048  # host-RAM prompt cache for slot states evicted by other prompts
    startup_timeout: float = 300.0

    def __post_init__(self) -> None:
        for name in ("n_parallel", "ctx_per_slot", "http_threads"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
        for name in ("threads", "batch_threads"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ValueError(f"{name} must be at least 1")

    def resolved_threads(self) -> int:
        return self.threads or os.cpu_count() or 1

    def describe(self) -> dict[str, Any]:
        d = asdict(self)
        d["model_path"] = str(self.model_path)
        d["threads"] = self.resolved_threads()
        d["batch_threads"] = self.batch_threads or d["threads"]
        return d


def build_params(cfg: EmbeddedConfig) -> Any:
    """xllamacpp CommonParams for a quiet loopback server with parallel slots and prompt caching."""
    import xllamacpp

    threads = cfg.resolved_threads()
    p = xllamacpp.CommonParams()
    p.model.path = str(cfg.model_path)
    p.model_alias = {cfg.alias}
    p.hostnames = [HOST]
    p.port = 0  # the OS picks a free port; we read it back from listening_address
    p.n_parallel = cfg.n_parallel
    p.n_ctx = cfg.ctx_per_slot * cfg.n_parallel
    p.kv_unified = False  # each slot owns exactly ctx_per_slot tokens, so one long dialogue can't starve others
    p.cont_batching = True
    p.cache_prompt = True
    p.cache_ram_mib = cfg.cache_ram_mib
    p.cpuparams.n_threads = threads
    p.cpuparams_batch.n_threads = cfg.batch_threads or threads
    p.n_threads_http = max(cfg.http_threads, cfg.n_parallel + 2)
    p.endpoint_slots = True
    p.endpoint_metrics = True
    p.verbosity = -1  # llama.cpp logs to stderr; nothing below run.py may print
    return p


class EmbeddedServer:
    """Start/stop llama.cpp's server; `openai_base_url` is what an OpenAI client talks to."""

    def __init__(self, config: EmbeddedConfig):
        self.config = config
        self._server: Any = None
        self._base_url: str | None = None
        self._lock = threading.Lock()

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def base_url(self) -> str:
        if self._base_url is None:
            raise RuntimeError("the embedded server is not running")
        return self._base_url

    @property
    def openai_base_url(self) -> str:
        return self.base_url + "/v1"

    def start(self) -> str:
        """Load the model and serve; blocks until /health says ok. Returns the base URL."""
        import xllamacpp

        with self._lock:
            if self._server is not None:
                return self.base_url
            cfg = self.config
            t0 = time.perf_counter()
            try:
                server = xllamacpp.Server(build_params(cfg))
            except RuntimeError as e:
                raise InputError(f"llama.cpp could not load the model file {cfg.model_path} ({e}).") from None
            base = str(server.listening_address).rstrip("/")
            if not base.startswith(f"http://{HOST}:"):
                del server
                raise RuntimeError(f"embedded server listens on {base}, not on {HOST}")
            self._server, self._base_url = server, base
            try:
                self._wait_healthy(cfg.startup_timeout)
            except BaseException:
                self._stop_locked()
                raise
            log.info(
                "embedded llama.cpp server on %s: %s, %d slots x %d ctx, %d threads, ready in %.1f s",
                base,
                cfg.model_path.name,
                cfg.n_parallel,
                cfg.ctx_per_slot,
                cfg.resolved_threads(),
                time.perf_counter() - t0,
            )
            return base

    def _wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        last = "no answer"
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.base_url + "/health", timeout=5) as r:
                    if r.status == 200 and json.loads(r.read() or b"{}").get("status") == "ok":
                        return
                    last = f"HTTP {r.status}"
            except urllib.error.HTTPError as e:
                last = f"HTTP {e.code}"  # 503 while the model loads
            except (OSError, ValueError) as e:
                last = str(e)
            time.sleep(0.1)
        raise RuntimeError(f"embedded llama.cpp server not healthy after {timeout:.0f} s ({last})")

    def stop(self) -> None:
        with self._lock:
            self._stop_locked()

    def _stop_locked(self) -> None:
        if self._server is None:
            return
        # The C++ destructor stops the HTTP listener and the inference loop; drop our only reference to run it.
        server, self._server, self._base_url = self._server, None, None
        del server
        gc.collect()
        log.info("embedded llama.cpp server stopped")

    def slots(self) -> list[dict[str, Any]]:
        with urllib.request.urlopen(self.base_url + "/slots", timeout=10) as r:
            return json.loads(r.read())

    def __enter__(self) -> EmbeddedServer:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    async def __aenter__(self) -> EmbeddedServer:
        # Loading takes seconds: keep the event loop (progress bar, signals) responsive meanwhile.
        await asyncio.to_thread(self.start)
        return self

    async def __aexit__(self, *exc) -> None:
        await asyncio.to_thread(self.stop)
