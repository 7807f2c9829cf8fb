"""Judge throughput and peak memory: dialogues/s for the rule and model judges, then with the LLM judge.

The 37 labelled fixture dialogues (tests/fixtures: clean ones and their flawed twins) are repeated to --n
dialogues and judged by one Panel, --concurrency at a time, as run.py does. Reports model-load time, wall-clock
throughput, seconds per dialogue spent in each judge, and peak RSS (ru_maxrss, exact) of this process.
The LLM judge pass uses the embedded model (--llm tiny|qwen2.5-1.5b) or a server (--base-url) on --llm-n
dialogues, since it is bounded by generation speed, not by the judges.

    .venv/bin/python bench/bench_judge.py                      # 1,000 dialogues, no LLM judge
    .venv/bin/python bench/bench_judge.py --llm tiny --llm-n 20
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import os
import resource
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from fixtures.loader import build_twin, clean, clean_names, twins  # noqa: E402

from salesgen.core.catalog import Catalog  # noqa: E402
from salesgen.core.dialogue import KEPT, Dialogue  # noqa: E402
from salesgen.judge.base import PanelOptions  # noqa: E402
from salesgen.judge.panel import Panel  # noqa: E402
from salesgen.scenarios import load_all  # noqa: E402

load_all()  # the scenarios' judges join the panel's registry


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def dialogues(n: int) -> list[Dialogue]:
    base = [clean(name) for name in clean_names()] + [build_twin(t)[0] for t in twins()]
    out = []
    for i in range(n):
        d = copy.deepcopy(base[i % len(base)])
        d.id = f"{d.id}-{i}"
        out.append(d)
    return out


def time_judges(panel: Panel) -> dict[str, float]:
    """Wrap each judge to add up its own seconds (sync judges run in one worker thread, so no overlap)."""
    spent: dict[str, float] = defaultdict(float)
    for e in panel.entries:
        j = e.judge
        if j.is_async:
            inner_a = j.ajudge

            async def timed_a(d, _f=inner_a, _n=j.name):
                t = time.perf_counter()
                try:
                    return await _f(d)
                finally:
                    spent[_n] += time.perf_counter() - t

            j.ajudge = timed_a
        else:
            inner = j.judge

            def timed(d, _f=inner, _n=j.name):
                t = time.perf_counter()
                try:
                    return _f(d)
                finally:
                    spent[_n] += time.perf_counter() - t

            j.judge = timed
    return spent


async def run(panel: Panel, ds: list[Dialogue], concurrency: int) -> float:
    gate = asyncio.Semaphore(concurrency)

    async def one(d: Dialogue) -> None:
        async with gate:
            await panel.judge(d, 0.7)

    t = time.perf_counter()
    await asyncio.gather(*(one(d) for d in ds))
    return time.perf_counter() - t


def report(label: str, ds: list[Dialogue], wall: float, spent: dict[str, float]) -> None:
    kept = sum(d.status == KEPT for d in ds)
    errors = sum(1 for d in ds for v in d.verdicts if v.error)
    print(f"\n## {label}: {len(ds)} dialogues in {wall:.1f} s = {len(ds) / wall:.2f} dialogues/s "
          f"(kept {kept}, judge errors {errors}); peak RSS so far {peak_rss_mb():.0f} MB")
    print("| judge | ms per dialogue |\n| --- | ---: |")
    for name, s in sorted(spent.items(), key=lambda kv: -kv[1]):
        print(f"| {name} | {1000 * s / len(ds):.1f} |")


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1000, help="dialogues for the pass without the LLM judge")
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--llm", default=None, help="embedded model for the LLM-judge pass (tiny, qwen2.5-1.5b)")
    ap.add_argument("--base-url", default=None, help="OpenAI-compatible server for the LLM-judge pass")
    ap.add_argument("--model", default=None, help="model name on --base-url")
    ap.add_argument("--llm-n", type=int, default=20, help="dialogues for the pass with the LLM judge")
    ap.add_argument("--parallel", type=int, default=2, help="embedded server slots")
    args = ap.parse_args()

    print(f"# bench_judge: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start, "
          f"SALESGEN_JUDGE_THREADS={os.environ.get('SALESGEN_JUDGE_THREADS', '1')}")
    rss0 = peak_rss_mb()
    t = time.perf_counter()
    catalog = Catalog.load()
    panel = Panel.build(catalog, PanelOptions(use_llm_judge=False))
    print(f"Panel.build (loads embeddings, profanity model, harper, punkt): {time.perf_counter() - t:.1f} s; "
          f"peak RSS {rss0:.0f} MB before, {peak_rss_mb():.0f} MB after")
    spent = time_judges(panel)
    ds = dialogues(args.n)
    wall = await run(panel, ds, args.concurrency)
    report("without the LLM judge", ds, wall, spent)

    if not (args.llm or args.base_url):
        return
    from salesgen.llm.backends import open_chat_model

    async with open_chat_model(base_url=args.base_url, model=args.llm if not args.base_url else args.model,
                               n_parallel=args.parallel, ctx_per_slot=4096) as chat:
        lp = Panel.build(catalog, PanelOptions(llm=chat, use_llm_judge=True), resources=panel.resources)
        spent = time_judges(lp)
        ds = dialogues(args.llm_n)
        wall = await run(lp, ds, args.concurrency)
        report(f"with the LLM judge ({chat.name}, {args.parallel} slots)", ds, wall, spent)
        usage = [v.details.get("usage", {}) for d in ds for v in d.verdicts if v.judge == "llm_judge"]
        gen = sum(u.get("completion_tokens", 0) for u in usage)
        prompt = sum(u.get("prompt_tokens", 0) for u in usage)
        print(f"LLM judge tokens: {prompt / max(1, len(ds)):.0f} prompt + {gen / max(1, len(ds)):.0f} generated per "
              f"dialogue")
    print(f"\nPeak RSS: {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    asyncio.run(main())
