"""How busy a running llama.cpp server is, and how much of its capacity a run gets.

Polls the server's `/slots` (how many slots are working) and reads its `/metrics` counters at both ends of the
window; the embedded server's port is the one `ss -ltnp` lists for the run's python process. Loopback only.

    python -m bench.server_load http://127.0.0.1:44519 --seconds 120

"Capacity used" is the window's model time at the rates measured in BENCHMARKS.md §1 (decode with 4 requests in
flight, prompt processing), over the window's wall time: below 1.0 is what the model server could still do.
"""
from __future__ import annotations

import argparse
import collections
import json
import time
import urllib.request

from salesgen.llm.openai_chat import is_loopback_url

COUNTERS = ("prompt_tokens_total", "tokens_predicted_total", "n_decode_total")


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as r:  # noqa: S310 (loopback only, checked in main)
        return r.read()


def metrics(base: str) -> dict[str, float]:
    out = {}
    for line in _get(f"{base}/metrics").decode().splitlines():
        if line and not line.startswith("#"):
            name, value = line.split()[:2]
            out[name.removeprefix("llamacpp:")] = float(value)
    return out


def watch(base: str, seconds: float, interval: float, decode_rate: float, prompt_rate: float) -> dict[str, float]:
    busy: collections.Counter[int] = collections.Counter()
    m0, t0 = metrics(base), time.monotonic()
    while time.monotonic() - t0 < seconds:
        busy[sum(s.get("is_processing", False) for s in json.loads(_get(f"{base}/slots")))] += 1
        time.sleep(interval)
    m1, wall = metrics(base), time.monotonic() - t0
    d = {k: m1[k] - m0[k] for k in COUNTERS}
    n = sum(busy.values()) or 1
    return {
        "window seconds": round(wall, 1),
        "mean slots working": round(sum(k * v for k, v in busy.items()) / n, 2),
        "share of samples with no slot working": round(busy[0] / n, 3),
        "prompt tokens processed per second": round(d["prompt_tokens_total"] / wall, 1),
        "tokens generated per second": round(d["tokens_predicted_total"] / wall, 1),
        "decode calls per second": round(d["n_decode_total"] / wall, 2),
        "capacity used (at the reference rates)": round(
            (d["tokens_predicted_total"] / decode_rate + d["prompt_tokens_total"] / prompt_rate) / wall, 2),
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("url", help="the server's base URL, e.g. http://127.0.0.1:44519")
    p.add_argument("--seconds", type=float, default=120.0)
    p.add_argument("--interval", type=float, default=0.5)
    p.add_argument("--decode-rate", type=float, default=30.0, help="tok/s, 4 requests in flight (§1)")
    p.add_argument("--prompt-rate", type=float, default=90.0, help="prompt tok/s (§1)")
    a = p.parse_args()
    base = a.url.rstrip("/").removesuffix("/v1")
    if not is_loopback_url(base):
        p.error("only a loopback server may be watched")
    print("| measure | figure |\n| --- | --- |")
    for k, v in watch(base, a.seconds, a.interval, a.decode_rate, a.prompt_rate).items():
        print(f"| {k} | {v} |")


if __name__ == "__main__":
    main()
