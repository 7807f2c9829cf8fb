"""What the voice's constraints cost on the embedded server: one planned line decoded free, under the band grammar,
with the DRY sampler, and with both; the same prompt and seeds each way, requests `--parallel` at a time.

    .venv/bin/python bench/bench_voice.py --model qwen2.5-1.5b --reps 4 --parallel 4
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from salesgen.core.words import count_words  # noqa: E402
from salesgen.generate.text import band_grammar  # noqa: E402
from salesgen.llm.backends import open_chat_model  # noqa: E402

SYSTEM = ("You are Grace, a salesperson in the car department of Summit Motors, talking face to face with one "
          "customer. Each time, you are told what to say next and the facts to use. Say it in your own words as "
          "one spoken paragraph of 50 to 75 words: three to five full sentences, each one adding something.")
PROMPT = ("(Your next line, to the customer. Say these, in order, as one spoken paragraph in your own words:\n"
          "- it has heated seats, blind spot monitoring, as they asked\n"
          "- describe it with these facts: mpg combined 32; seats 5; Apple CarPlay\n"
          "- one sentence on how it suits a daily 40-mile highway commute\n"
          "- ask one short question about what else matters to them)\n\n"
          "The customer: I drive forty miles a day on the highway and I need heated seats and blind spot "
          "monitoring. I prefer a Toyota. What would you suggest?")
OPENERS = ["The Toyota Corolla LE at $11,400 is", "I'd suggest the Toyota Corolla LE at $11,400, because"]


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="qwen2.5-1.5b")
    ap.add_argument("--reps", type=int, default=4)
    ap.add_argument("--parallel", type=int, default=4)
    ap.add_argument("--threads", type=int, default=None)
    a = ap.parse_args()
    messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": PROMPT}]
    grammar = band_grammar(50, 75, ["$11,400"], 15, OPENERS)
    modes = {"free": (None, False), "grammar": (grammar, False), "dry": (None, True), "grammar+dry": (grammar, True)}
    async with open_chat_model(base_url=None, model=a.model, model_path=None, api_key_env="X",
                               n_parallel=a.parallel, threads=a.threads, temperature=0.7, top_p=0.9, timeout=600,
                               max_concurrency=a.parallel) as chat:
        await chat.complete(messages, max_tokens=8)  # warm-up: load and cache the prompt
        print(f"# One planned line, {a.model}, {a.parallel} at a time, {a.reps} x {a.parallel} requests per mode\n")
        print("| mode | tok/s (aggregate) | tokens per line | words per line | tokens per word | s per line |")
        print("| --- | --- | --- | --- | --- | --- |")
        for name, (g, dry) in modes.items():
            toks, words, secs = [], [], []
            t0 = time.perf_counter()
            for rep in range(a.reps):
                cs = await asyncio.gather(*[chat.complete(messages, max_tokens=216, seed=100 * rep + i, grammar=g,
                                                          no_copy=dry) for i in range(a.parallel)])
                for c in cs:
                    toks.append(c.usage.completion_tokens)
                    words.append(count_words(c.text))
                    secs.append(c.usage.seconds)
            wall = time.perf_counter() - t0
            print(f"| {name} | {sum(toks) / wall:.1f} | {statistics.mean(toks):.0f} | {statistics.mean(words):.0f} "
                  f"| {sum(toks) / max(1, sum(words)):.2f} | {statistics.mean(secs):.1f} |")


if __name__ == "__main__":
    asyncio.run(main())
