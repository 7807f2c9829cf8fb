"""Orchestration overhead of the llm layer: simulated dialogues through OpenAIChat against the loopback fault server.

Each dialogue is 2 × exchanges sequential chat calls with a growing history (as the simulator makes them); dialogues
run `c` at a time. Wall time is compared with the ideal ceil(N / c) × calls × latency; the client's CPU time is
this process's (the server runs in its own process). Prints a markdown table.

    .venv/bin/python bench/bench_orchestration.py --dialogues 1000 --concurrency 8,32,128
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import resource
import sys
import time
import urllib.request
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from salesgen.llm.openai_chat import OpenAIChat  # noqa: E402
from salesgen.llm.retry import RetryPolicy  # noqa: E402
from tools.fault_server import FaultConfig, fault_server_process  # noqa: E402

SYSTEM = {
    "salesperson": "You are a courteous salesperson at a car dealership. Reply in 50 to 75 words.",
    "customer": "You are a customer shopping for a family SUV with a hidden budget. Reply in 50 to 75 words.",
}


async def dialogue(chat: OpenAIChat, i: int, exchanges: int) -> int:
    """One simulated dialogue; returns the number of calls made."""
    history: list[tuple[str, str]] = []
    calls = 0
    for turn in range(2 * exchanges):
        role = "salesperson" if turn % 2 == 0 else "customer"
        msgs = [{"role": "system", "content": SYSTEM[role]}]
        msgs += [{"role": "assistant" if r == role else "user", "content": t} for r, t in history]
        if not history:
            msgs.append({"role": "user", "content": f"(dialogue {i}) A customer walks in."})
        c = await chat.complete(msgs, max_tokens=120, seed=i)
        history.append((role, c.text))
        calls += 1
    return calls


def server_stats(url: str) -> dict:
    with urllib.request.urlopen(url.removesuffix("/v1") + "/stats", timeout=10) as r:
        return json.loads(r.read())


def reset(url: str) -> None:
    req = urllib.request.Request(url.removesuffix("/v1") + "/reset", data=b"{}", method="POST")
    urllib.request.urlopen(req, timeout=10).read()


async def run_level(url: str, n: int, c: int, exchanges: int, transport: str) -> dict:
    chat = OpenAIChat(url, "fault-model", timeout=30.0, retry=RetryPolicy(), transport=transport)
    sem = asyncio.Semaphore(c)

    async def one(i: int) -> int:
        async with sem:
            return await dialogue(chat, i, exchanges)

    cpu0, t0 = time.process_time(), time.perf_counter()
    calls = sum(await asyncio.gather(*(one(i) for i in range(n))))
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    await chat.aclose()
    return {"calls": calls, "wall": wall, "cpu": cpu, "retries": chat.stats.retries}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dialogues", type=int, default=1000)
    ap.add_argument("--exchanges", type=int, default=5)
    ap.add_argument("--concurrency", default="1,8,32,128", help="comma-separated levels")
    ap.add_argument("--latency", type=float, default=0.2)
    ap.add_argument("--transport", default="aiohttp", choices=["httpx", "aiohttp"])
    ap.add_argument("--max-ideal", type=float, default=0, help="skip a level whose ideal time exceeds this (s)")
    args = ap.parse_args()
    levels = [int(x) for x in args.concurrency.split(",")]
    calls_per = 2 * args.exchanges
    rows = []
    with fault_server_process(FaultConfig(latency=args.latency)) as (url, pid):
        server = psutil.Process(pid)
        for c in levels:
            ideal = math.ceil(args.dialogues / c) * calls_per * args.latency
            if args.max_ideal and ideal > args.max_ideal:
                rows.append(f"| {c} | {args.dialogues} | skipped (ideal {ideal:.0f} s > --max-ideal) | | | | | | | |")
                continue
            reset(url)
            server_cpu0 = sum(server.cpu_times()[:2])
            r = asyncio.run(run_level(url, args.dialogues, c, args.exchanges, args.transport))
            server_cpu = sum(server.cpu_times()[:2]) - server_cpu0
            st = server_stats(url)
            over = 100 * (r["wall"] / ideal - 1)
            rows.append(
                f"| {c} | {args.dialogues} | {r['calls']} | {r['wall']:.1f} | {ideal:.1f} | {over:+.1f}% "
                f"| {r['cpu']:.1f} | {1000 * r['cpu'] / r['calls']:.2f} | {server_cpu:.1f} "
                f"| {st.get('max_in_flight', '?')} | {os.getloadavg()[0]:.1f} |"
            )
            print(rows[-1], file=sys.stderr, flush=True)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"\nOrchestration, {args.exchanges} exchanges/dialogue, {args.latency * 1000:.0f} ms latency, "
        f"transport {args.transport}, peak client RSS {rss:.0f} MiB\n"
    )
    print(
        "| concurrency | dialogues | calls | wall s | ideal s | vs ideal | client CPU s | client CPU ms/call "
        "| server CPU s | max in flight | load avg |"
    )
    print("| --- " * 11 + "|")
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
