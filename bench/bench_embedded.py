"""The embedded model: our client's generation rate against the raw server's, and what slot/prefix reuse saves.

1. Generated tokens/s for 1 and N concurrent requests, through OpenAIChat and through direct HTTP (aiohttp) to the
   same server (same model, threads and slots), plus the decode rate the server itself reports.
2. A synthetic two-agent conversation of T turns: prompt tokens actually processed (prompt - cached) with no reuse
   (cache_prompt off), with automatic slot choice, and with each agent pinned to its own slot.
3. Optionally (--sweep 1,2,4): aggregate generation rate for n_parallel = k slots serving k requests.

    .venv/bin/python bench/bench_embedded.py --model tiny
    .venv/bin/python bench/bench_embedded.py --model qwen2.5-1.5b --parallel 4 --max-tokens 48 --turns 10
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from salesgen.llm.base import LLAMA_CPP
from salesgen.llm.embedded import EmbeddedConfig, EmbeddedServer  # noqa: E402
from salesgen.llm.models import resolve_model  # noqa: E402
from salesgen.llm.openai_chat import OpenAIChat  # noqa: E402

TOPICS = ["an electric hatchback", "a family SUV", "a gaming laptop", "a road bike", "a coffee machine", "a sofa"]
SELLER = (
    "You are Sam, a courteous salesperson at a shop that sells cars, laptops, bikes and home appliances. "
    "Follow a sales arc: greet, discover needs, recommend, handle objections, close. Reply in 50 to 75 words."
)
BUYER = (
    "You are Alex, a customer shopping for a family SUV with a budget of 32,000 dollars that you keep to yourself. "
    "You must have all-wheel drive and good safety ratings. Reply in 50 to 75 words and never speak for the seller."
)


def _prompt(i: int) -> list[dict[str, str]]:
    # A distinct first line per request, so no request reuses another's cached prefix in the rate tests.
    return [
        {"role": "system", "content": f"Request {i}. You are a helpful salesperson. Answer in about 60 words."},
        {"role": "user", "content": f"Tell me why I should buy {TOPICS[i % len(TOPICS)]} from your shop today."},
    ]


async def raw_batch(session: aiohttp.ClientSession, base: str, n: int, start: int, max_tokens: int) -> dict:
    """n concurrent requests straight to the server's HTTP API."""

    async def one(i: int) -> dict[str, Any]:
        body = {"messages": _prompt(i), "max_tokens": max_tokens, "temperature": 0.7, "seed": i}
        async with session.post(base + "/v1/chat/completions", json=body) as r:
            r.raise_for_status()
            return await r.json()

    t0 = time.perf_counter()
    res = await asyncio.gather(*(one(start + k) for k in range(n)))
    wall = time.perf_counter() - t0
    toks = sum(r["usage"]["completion_tokens"] for r in res)
    decode = statistics.mean(r["timings"]["predicted_per_second"] for r in res)
    return {"tokens": toks, "wall": wall, "decode": decode}


async def client_batch(chat: OpenAIChat, n: int, start: int, max_tokens: int) -> dict:
    """n concurrent requests through our OpenAIChat (retry loop, limiter hook, usage accounting)."""
    t0 = time.perf_counter()
    res = await asyncio.gather(
        *(chat.complete(_prompt(start + k), max_tokens=max_tokens, seed=start + k) for k in range(n))
    )
    wall = time.perf_counter() - t0
    return {"tokens": sum(c.usage.completion_tokens for c in res), "wall": wall}


async def rate_section(server: EmbeddedServer, model: str, levels: list[int], max_tokens: int, reps: int) -> list:
    rows = []
    chat = OpenAIChat(server.openai_base_url, model, abilities=LLAMA_CPP, n_slots=server.config.n_parallel)
    counter = 1000
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=1800)) as session:
        await raw_batch(session, server.base_url, 1, 0, 8)  # warm-up
        for n in levels:
            raw_rates, ours_rates, decodes = [], [], []
            for _ in range(reps):  # alternate, so a load spike from elsewhere hits both sides alike
                r = await raw_batch(session, server.base_url, n, counter, max_tokens)
                counter += n
                o = await client_batch(chat, n, counter, max_tokens)
                counter += n
                raw_rates.append(r["tokens"] / r["wall"])
                ours_rates.append(o["tokens"] / o["wall"])
                decodes.append(r["decode"])
            raw, ours = statistics.median(raw_rates), statistics.median(ours_rates)
            rows.append((n, ours, raw, 100 * (ours / raw - 1), statistics.median(decodes), os.getloadavg()[0]))
    await chat.aclose()
    return rows


async def conversation(chat: OpenAIChat, turns: int, max_tokens: int, slots: tuple[int, int] | None, tag: str) -> dict:
    """Two agents, each seeing the dialogue from its own side; turn t goes to the seller when t is even.

    `slots` pins (seller, buyer) to two slots; `tag` opens both system prompts, so no conversation or mode reuses
    a prefix another one left behind."""
    lines: list[tuple[str, str]] = []
    prompt = cached = completion = 0
    for t in range(turns):
        role = "seller" if t % 2 == 0 else "buyer"
        msgs = [{"role": "system", "content": f"[{tag}] " + (SELLER if role == "seller" else BUYER)}]
        if not lines:
            msgs.append({"role": "user", "content": "(A customer walks into the shop.)"})
        msgs += [{"role": "assistant" if r == role else "user", "content": text} for r, text in lines]
        slot = None if slots is None else slots[t % 2]
        c = await chat.complete(msgs, max_tokens=max_tokens, seed=t, slot=slot)
        lines.append((role, c.text))
        prompt += c.usage.prompt_tokens
        cached += c.usage.cached_tokens
        completion += c.usage.completion_tokens
    return {"prompt": prompt, "cached": cached, "completion": completion}


async def reuse_section(server: EmbeddedServer, model: str, turns: int, max_tokens: int, k: int) -> list:
    """k conversations at once; pinned mode puts agent j of conversation i on slot (2i + j) mod n_parallel."""
    n = server.config.n_parallel
    modes = [
        ("no reuse (cache_prompt off)", False, False),
        ("automatic slot", True, False),
        ("pinned slots", True, True),
    ]
    rows = []
    for label, cache, pinned in modes:
        chat = OpenAIChat(server.openai_base_url, model, abilities=LLAMA_CPP, n_slots=n, cache_prompt=cache)
        t0 = time.perf_counter()
        try:
            res = await asyncio.gather(
                *(
                    conversation(
                        chat, turns, max_tokens, ((2 * i) % n, (2 * i + 1) % n) if pinned else None, tag=f"{label} #{i}"
                    )
                    for i in range(k)
                )
            )
        finally:
            await chat.aclose()
        wall = time.perf_counter() - t0
        p, c, g = (sum(r[key] for r in res) for key in ("prompt", "cached", "completion"))
        rows.append((label, p / k, c / k, (p - c) / k, g / k, wall, g / wall))
    return rows


async def sweep_section(model_path: Path, alias: str, threads: int, ks: list[int], max_tokens: int) -> list:
    rows = []
    for k in ks:
        cfg = EmbeddedConfig(model_path=model_path, alias=alias, n_parallel=k, ctx_per_slot=2048, threads=threads)
        async with EmbeddedServer(cfg) as server:
            chat = OpenAIChat(server.openai_base_url, alias, abilities=LLAMA_CPP, n_slots=k)
            await client_batch(chat, 1, 0, 4)
            o = await client_batch(chat, k, 5000 + 100 * k, max_tokens)
            await chat.aclose()
        rows.append((k, o["tokens"] / o["wall"], os.getloadavg()[0]))
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="tiny")
    ap.add_argument("--model-path")
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--parallel", type=int, default=4, help="slots, and the N of the N-request rate test")
    ap.add_argument("--max-tokens", type=int, default=64)
    ap.add_argument("--reps", type=int, default=2)
    ap.add_argument("--turns", type=int, default=10)
    ap.add_argument("--turn-tokens", type=int, default=90, help="max tokens per conversation turn")
    ap.add_argument("--conversations", type=int, default=1, help="conversations run at once in the reuse test")
    ap.add_argument("--sweep", default="", help="comma-separated slot counts for the throughput sweep")
    ap.add_argument("--skip-rates", action="store_true")
    ap.add_argument("--skip-reuse", action="store_true")
    args = ap.parse_args()

    mf = resolve_model(args.model, args.model_path)
    cfg = EmbeddedConfig(
        model_path=mf.path, alias=mf.name, n_parallel=max(2, args.parallel), ctx_per_slot=4096, threads=args.threads
    )
    print(f"# Embedded model benchmark: {mf.name} ({mf.path.name}), {args.threads} threads, {cfg.n_parallel} slots\n")

    async def run() -> None:
        async with EmbeddedServer(cfg) as server:
            if not args.skip_rates:
                rows = await rate_section(server, mf.name, [1, args.parallel], args.max_tokens, args.reps)
                print(f"## Generation rate, max_tokens {args.max_tokens}, median of {args.reps}\n")
                print(
                    "| concurrent requests | OpenAIChat tok/s | raw HTTP tok/s | client vs raw | server decode tok/s "
                    "(per request) | load avg |"
                )
                print("| --- | --- | --- | --- | --- | --- |")
                for n, ours, raw, diff, dec, load in rows:
                    print(f"| {n} | {ours:.1f} | {raw:.1f} | {diff:+.1f}% | {dec:.1f} | {load:.1f} |")
                print()
            if not args.skip_reuse:
                rows = await reuse_section(server, mf.name, args.turns, args.turn_tokens, args.conversations)
                print(
                    f"## Prompt processing: {args.conversations} two-agent conversation(s) of {args.turns} turns "
                    f"at once on {cfg.n_parallel} slots (token counts per conversation)\n"
                )
                print("| mode | prompt tokens | cached | processed | generated | wall s | generated tok/s |")
                print("| --- | --- | --- | --- | --- | --- | --- |")
                for label, p, c, proc, gen, wall, rate in rows:
                    print(f"| {label} | {p:.0f} | {c:.0f} | {proc:.0f} | {gen:.0f} | {wall:.1f} | {rate:.1f} |")
                print()
        if args.sweep:
            ks = [int(k) for k in args.sweep.split(",")]
            rows = await sweep_section(mf.path, mf.name, args.threads, ks, args.max_tokens)
            print(f"## Slot sweep: k slots serving k concurrent requests, max_tokens {args.max_tokens}\n")
            print("| slots | aggregate tok/s | load avg |")
            print("| --- | --- | --- |")
            for k, rate, load in rows:
                print(f"| {k} | {rate:.1f} | {load:.1f} |")

    asyncio.run(run())
    return 0


if __name__ == "__main__":
    sys.exit(main())
