"""An OpenAI-compatible loopback server whose replies can be delayed, rate-limited, failed, emptied or garbled.

Replies are deterministic: the text (55-70 words) or the schema-valid JSON document is seeded from the request.
Run it in-process (`with FaultServer(cfg) as url:` in a thread, `async with` on the running loop) or as
`python -m tools.fault_server --port 8000 --latency 0.2 --rate-429 0.1`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import random
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter, deque
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from aiohttp import web

HOST = "127.0.0.1"
FAULTS = ("429", "500", "drop", "hang", "empty", "garbled", "malformed")

SELLER = [
    "Thanks for stopping by today, I am glad to help you find the right fit.",
    "Based on what you told me, this model matches your budget and your must-haves.",
    "It comes with a three-year warranty and free servicing for the first year.",
    "We also offer financing at a low rate if you would rather spread the cost.",
    "Many of our customers with similar needs have been very happy with it.",
    "I can check whether we have it in stock in the colour you prefer.",
    "If price is the main concern, I can look at what discount is possible today.",
    "Let me walk you through the key features so you can compare them calmly.",
    "Would you like to try it out before you make any decision at all?",
    "The running costs are low, and the resale value has held up well.",
]
BUYER = [
    "That sounds interesting, but I want to be sure it fits my budget first.",
    "I have been comparing a few options and this one is on my short list.",
    "Can you tell me more about the warranty and what it actually covers?",
    "Honestly, the price is a little higher than I hoped to spend today.",
    "My main concern is reliability, since I plan to keep it for years.",
    "I like the features you mentioned, especially the safety package.",
    "Is there any room to negotiate, or is this your final offer?",
    "I would need to think about the financing terms before I commit.",
    "A friend of mine bought something similar and was quite pleased.",
    "Could you show me how it compares with the cheaper model you have?",
]
FILLERS = ["Thank you.", "That helps a lot.", "Fair enough.", "Good to know.", "Let us see."]
WORDS = "price budget warranty model option feature offer deal color service value choice".split()
_BUYER_RE = re.compile(r"\byou are (?:a|an|the)?\s*(?:customer|buyer|shopper|client)\b", re.I)


@dataclass
class FaultConfig:
    latency: float = 0.0  # seconds before each answered reply
    latency_jitter: float = 0.0  # ± uniform seconds
    rate_429: float = 0.0
    retry_after: str = "1"  # Retry-After header value sent with 429s: seconds or an HTTP date
    rate_500: float = 0.0
    rate_drop: float = 0.0  # close the connection without a reply
    rate_hang: float = 0.0  # never reply (until hang_seconds), so the client times out
    rate_empty: float = 0.0  # 200 with empty content
    rate_garbled: float = 0.0  # 200 with nonsense text, or truncated JSON for schema requests
    rate_malformed: float = 0.0  # 200 whose body is not JSON at all
    # faults for the first requests, in order: "ok", a fault name above, or any HTTP status such as "400"
    script: list[str] = field(default_factory=list)
    seed: int = 0
    min_words: int = 55
    max_words: int = 70
    hang_seconds: float = 3600.0
    model: str = "fault-model"
    api_key: str | None = None  # when set, requests must carry it (401 otherwise)
    slots: int | None = None  # when set, GET /props answers as llama.cpp's server does ("total_slots")

    def update(self, data: dict[str, Any]) -> None:
        names = {f.name for f in fields(self)}
        for k, v in data.items():
            if k not in names:
                raise ValueError(f"unknown setting {k}")
            setattr(self, k, v)


# ---------------------------------------------------------------- deterministic content


def request_seed(body: dict[str, Any], seed: int) -> int:
    key = json.dumps([body.get("messages"), body.get("seed"), body.get("model"), seed], sort_keys=True)
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big")


def _system_text(messages: list[dict[str, Any]]) -> str:
    return " ".join(str(m.get("content") or "") for m in messages if m.get("role") == "system")


def make_text(rng: random.Random, buyer: bool, lo: int = 55, hi: int = 70) -> str:
    """A plausible sales-dialogue reply of lo..hi words, whole sentences only."""
    pool = BUYER if buyer else SELLER
    target = rng.randint(lo, hi)
    out: list[str] = []
    n = 0
    for sentence in rng.sample(pool, len(pool)):
        k = len(sentence.split())
        if n + k <= target:
            out.append(sentence)
            n += k
    while n < lo:  # top up with short sentences that still fit under hi
        fits = [f for f in FILLERS if n + len(f.split()) <= hi]
        if not fits:
            break
        f = rng.choice(fits)
        out.append(f)
        n += len(f.split())
    return " ".join(out)


def sample_schema(schema: Any, rng: random.Random, root: Any = None, depth: int = 0) -> Any:
    """A value that validates against a (simple) JSON schema: objects, enums, const, anyOf, type lists, $ref."""
    root = root if root is not None else schema
    if not isinstance(schema, dict) or depth > 8:
        return None
    if "$ref" in schema:
        node: Any = root
        for part in schema["$ref"].lstrip("#/").split("/"):
            node = node.get(part, {}) if isinstance(node, dict) else {}
        return sample_schema(node, rng, root, depth + 1)
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return rng.choice(schema["enum"])
    for key in ("anyOf", "oneOf"):
        if schema.get(key):
            opts = schema[key]
            real = [o for o in opts if not (isinstance(o, dict) and o.get("type") == "null")]
            pick = rng.choice(real) if real and (len(real) == len(opts) or rng.random() < 0.85) else {"type": "null"}
            return sample_schema(pick, rng, root, depth + 1)
    if schema.get("allOf"):
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            merged.update(part)
        return sample_schema(merged, rng, root, depth + 1)
    t = schema.get("type")
    if isinstance(t, list):
        real = [x for x in t if x != "null"]
        t = rng.choice(real) if real and (len(real) == len(t) or rng.random() < 0.85) else "null"
    if t is None:
        t = "object" if "properties" in schema else "array" if "items" in schema else "string"
    if t == "object":
        required = set(schema.get("required", []))
        return {
            k: sample_schema(v, rng, root, depth + 1)
            for k, v in (schema.get("properties") or {}).items()
            if k in required or rng.random() < 0.5
        }
    if t == "array":
        lo = int(schema.get("minItems", 1))
        hi = int(schema.get("maxItems", lo + 2))
        return [sample_schema(schema.get("items", {}), rng, root, depth + 1) for _ in range(rng.randint(lo, hi))]
    if t == "boolean":
        return rng.random() < 0.5
    if t in ("integer", "number"):
        lo = schema.get("minimum", schema.get("exclusiveMinimum", 0))
        hi = schema.get("maximum", schema.get("exclusiveMaximum", lo + 1000))
        if t == "integer":
            return rng.randint(int(lo) + ("exclusiveMinimum" in schema), int(hi) - ("exclusiveMaximum" in schema))
        return round(rng.uniform(lo, hi), 2)
    if t == "null":
        return None
    lo, hi = int(schema.get("minLength", 1)), int(schema.get("maxLength", 40))
    text = " ".join(rng.choice(WORDS) for _ in range(6))[:hi]
    return text + "x" * max(0, lo - len(text))


def _tokens(text: str) -> int:
    return (len(text.split()) * 4 + 2) // 3  # about 4 tokens per 3 English words


# ---------------------------------------------------------------- the server


class FaultServer:
    """aiohttp app + runner; `url` is the OpenAI base URL (…/v1). Use as a context manager (thread or loop)."""

    def __init__(self, config: FaultConfig | None = None, port: int = 0):
        self.config = config or FaultConfig()
        self.port = port
        self.stats: Counter[str] = Counter()
        self.in_flight = 0
        self.max_in_flight = 0
        self.recent: deque[dict[str, Any]] = deque(maxlen=50)  # request bodies, for tests; headers never kept
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        app = web.Application(client_max_size=64 * 1024 * 1024)
        for prefix in ("/v1", ""):
            app.router.add_get(prefix + "/models", self._models)
            app.router.add_post(prefix + "/chat/completions", self._chat)
        app.router.add_get("/props", self._props)
        app.router.add_get("/health", self._health)
        app.router.add_get("/stats", self._stats)
        app.router.add_post("/reset", self._reset)
        app.router.add_post("/config", self._config)
        self.app = app

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}/v1"

    # lifecycle on the running loop
    async def start(self) -> str:
        # Backlog sized for a thousand-connection burst; no access log (it would dominate CPU at high rates).
        self._runner = web.AppRunner(self.app, access_log=None, handle_signals=False, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, HOST, self.port, backlog=4096, reuse_address=True)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> str:
        return await self.start()

    async def __aexit__(self, *exc) -> None:
        await self.stop()

    # lifecycle in a background thread (own loop), for sync tests and for keeping client and server apart
    def start_background(self) -> str:
        ready = threading.Event()
        errors: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            self._loop = loop
            try:
                loop.run_until_complete(self.start())
            except BaseException as e:  # noqa: BLE001 - handed to the starting thread
                errors.append(e)
                ready.set()
                return
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self.stop())
            # Handlers still hanging (the "hang" fault) must be cancelled and awaited before the loop closes.
            pending = asyncio.all_tasks(loop)
            for task in pending:
                task.cancel()
            if pending:
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

        self._thread = threading.Thread(target=run, name="fault-server", daemon=True)
        self._thread.start()
        ready.wait()
        if errors:
            raise errors[0]
        return self.url

    def stop_background(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
            self._thread = self._loop = None

    def __enter__(self) -> str:
        return self.start_background()

    def __exit__(self, *exc) -> None:
        self.stop_background()

    # handlers
    async def _health(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def _models(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return self._error(401, "invalid api key", "authentication_error")
        return web.json_response({"object": "list", "data": [{"id": self.config.model, "object": "model"}]})

    async def _props(self, request: web.Request) -> web.Response:
        if not self.config.slots:
            return web.json_response({"error": {"message": "File Not Found", "code": 404}}, status=404)
        return web.json_response({"total_slots": self.config.slots, "model_path": self.config.model})

    async def _stats(self, request: web.Request) -> web.Response:
        return web.json_response({**self.stats, "in_flight": self.in_flight, "max_in_flight": self.max_in_flight})

    async def _reset(self, request: web.Request) -> web.Response:
        self.stats.clear()
        self.max_in_flight = self.in_flight
        self.recent.clear()
        return web.json_response({"ok": True})

    async def _config(self, request: web.Request) -> web.Response:
        try:
            self.config.update(await request.json())
        except (ValueError, TypeError) as e:
            return self._error(400, str(e))
        return web.json_response(asdict(self.config) | {"api_key": None})

    def _authorised(self, request: web.Request) -> bool:
        key = self.config.api_key
        return key is None or request.headers.get("Authorization") == f"Bearer {key}"

    @staticmethod
    def _error(status: int, message: str, kind: str = "invalid_request_error", headers: Any = None) -> web.Response:
        body = {"error": {"message": message, "type": kind, "code": status}}
        return web.json_response(body, status=status, headers=headers)

    def _pick_fault(self, n: int) -> str:
        cfg = self.config
        if n < len(cfg.script):
            return cfg.script[n]
        rng = random.Random(f"{cfg.seed}:fault:{n}")
        r = rng.random()
        for name in FAULTS:
            rate = getattr(cfg, f"rate_{name}")
            if r < rate:
                return name
            r -= rate
        return "ok"

    async def _sleep_latency(self, n: int) -> None:
        cfg = self.config
        delay = cfg.latency
        if cfg.latency_jitter:
            delay += random.Random(f"{cfg.seed}:lat:{n}").uniform(-cfg.latency_jitter, cfg.latency_jitter)
        if delay > 0:
            await asyncio.sleep(delay)

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        n = self.stats["requests"]
        self.stats["requests"] += 1
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            return await self._chat_inner(request, n)
        finally:
            self.in_flight -= 1

    async def _chat_inner(self, request: web.Request, n: int) -> web.StreamResponse:
        cfg = self.config
        if not self._authorised(request):
            self.stats["401"] += 1
            return self._error(401, "invalid api key", "authentication_error")
        try:
            body = await request.json()
            messages = body["messages"]
            if not isinstance(messages, list) or not messages:
                raise ValueError("messages must be a non-empty list")
        except (ValueError, KeyError, TypeError) as e:
            self.stats["400"] += 1
            return self._error(400, f"bad request: {e}")
        self.recent.append(body)
        fault = self._pick_fault(n)
        self.stats[fault] += 1
        if fault == "429":
            return self._error(429, "rate limit exceeded", "rate_limit_error", {"Retry-After": cfg.retry_after})
        if fault.isdigit() and fault != "500":  # any other status, scripted: "400", "401", "503"...
            return self._error(int(fault), f"scripted HTTP {fault}")
        if fault == "drop":
            if request.transport is not None:
                request.transport.abort()  # the client sees the connection reset, no status line
            return web.Response(status=500)
        if fault == "hang":
            await asyncio.sleep(cfg.hang_seconds)
            return self._error(504, "hung")
        await self._sleep_latency(n)
        if fault == "500":
            return self._error(500, "internal server error", "server_error")
        if fault == "malformed":
            return web.Response(status=200, text='{"id": "chatcmpl-x", "choices": [', content_type="application/json")
        return web.json_response(self._completion(body, messages, fault))

    def _completion(self, body: dict[str, Any], messages: list[dict[str, Any]], fault: str) -> dict[str, Any]:
        cfg = self.config
        rng = random.Random(request_seed(body, cfg.seed))
        fmt = body.get("response_format") or {}
        schema = (fmt.get("json_schema") or {}).get("schema") if fmt.get("type") == "json_schema" else None
        finish = "stop"
        if fault == "empty":
            text = ""
        elif schema is not None:
            text = json.dumps(sample_schema(schema, rng))
            if fault == "garbled":
                text = text[: max(1, len(text) // 2)]
        elif fault == "garbled":
            text = "".join(rng.choice("#@%&*!?~^ qzxjkv") for _ in range(rng.randint(40, 200)))
        else:
            buyer = bool(_BUYER_RE.search(_system_text(messages)))
            text = make_text(rng, buyer, cfg.min_words, cfg.max_words)
            max_tokens = body.get("max_tokens") or body.get("max_completion_tokens")
            if max_tokens and _tokens(text) > int(max_tokens):
                text = " ".join(text.split()[: max(1, int(max_tokens) * 3 // 4)])
                finish = "length"
        prompt = sum(_tokens(str(m.get("content") or "")) + 4 for m in messages)
        completion = _tokens(text)
        return {
            "id": f"chatcmpl-{rng.getrandbits(48):012x}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model") or cfg.model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": finish}],
            "usage": {
                "prompt_tokens": prompt,
                "completion_tokens": completion,
                "total_tokens": prompt + completion,
                "prompt_tokens_details": {"cached_tokens": 0},
            },
        }


# ---------------------------------------------------------------- as a separate process


def config_args(cfg: FaultConfig) -> list[str]:
    """Command-line flags that reproduce `cfg` (api_key excepted: set it via POST /config, not on a command line)."""
    out = []
    for f in fields(cfg):
        if f.name in ("script", "api_key") or getattr(cfg, f.name) is None:
            continue
        out += [f"--{f.name.replace('_', '-')}", str(getattr(cfg, f.name))]
    if cfg.script:
        out += ["--script", ",".join(cfg.script)]
    return out


@contextlib.contextmanager
def fault_server_process(cfg: FaultConfig | None = None, timeout: float = 30.0) -> Iterator[tuple[str, int]]:
    """Run the server in its own Python process (so its CPU is not the client's); yields (url, pid)."""
    cfg = cfg or FaultConfig()
    cmd = [sys.executable, "-m", "tools.fault_server", "--port", "0", *config_args(cfg)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + timeout
        line = ""
        while time.monotonic() < deadline and proc.stdout is not None:
            line = proc.stdout.readline()
            if line.startswith("listening ") or not line:
                break
        if not line.startswith("listening "):
            raise RuntimeError("fault server process did not start")
        yield line.split()[1], proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=0)
    for f in fields(FaultConfig):
        if f.name in ("script", "api_key"):
            continue
        kind = int if f.default is None else type(f.default)  # slots: None unless given
        ap.add_argument(f"--{f.name.replace('_', '-')}", type=kind, default=f.default)
    ap.add_argument("--script", default="", help="comma-separated faults for the first requests, e.g. 429,500,ok")
    args = ap.parse_args(argv)
    values = {f.name: getattr(args, f.name) for f in fields(FaultConfig) if f.name != "api_key"}
    values["script"] = [s for s in args.script.split(",") if s]
    cfg = FaultConfig(**values)
    server = FaultServer(cfg, port=args.port)

    async def serve() -> None:
        url = await server.start()
        print(f"listening {url}", flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        await server.stop()

    asyncio.run(serve())
    return 0


if __name__ == "__main__":
    sys.exit(main())
