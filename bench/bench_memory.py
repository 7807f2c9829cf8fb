"""Peak RSS of the orchestrator (`run.py` as a subprocess) against the loopback fault server, by run size.

The fault server runs in its own process with no latency, so the run is as fast as the client can go and the
figure is the orchestrator's own memory: records must be streamed to disk, not held. Peak RSS is the child's
`ru_maxrss` from os.wait4 (exact, not sampled); RSS is also sampled with psutil at 25/50/75/100 % of the run so a
steady climb shows even when the peak is set by start-up imports. Prints a markdown table with the commands.

    .venv/bin/python bench/bench_memory.py --sizes 1000,10000   # every export format on (--formats)
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tools.fault_server import FaultConfig, fault_server_process  # noqa: E402

# The rule judges only (no embedder, grammar or toxicity models): the panel's models are a fixed cost that
# would hide how the orchestrator itself scales, and at 10,000 dialogues they would take hours on 2 cores.
RULES_ONLY = Path(__file__).resolve().parent.parent / "salesgen" / "data" / "judge" / "rules_only.toml"


class _LineCounter:
    """Counts the lines of a growing file, reading only what was appended since the last call: re-reading
    the whole file every sample would cost the benchmark O(n^2) CPU and starve the run it measures."""

    def __init__(self, path: Path):
        self.path, self.offset, self.count = path, 0, 0

    def __call__(self) -> int:
        try:
            with open(self.path, "rb") as fh:
                fh.seek(self.offset)
                chunk = fh.read()
        except FileNotFoundError:
            return self.count
        self.offset += len(chunk)
        self.count += chunk.count(b"\n")
        return self.count


def measure(url: str, n: int, work: Path, args: argparse.Namespace) -> dict:
    out = work / f"run-{n}"
    weights = RULES_ONLY
    cmd = [sys.executable, "run.py", "--base-url", url, "--model", "fault-model", "--num-dialogues", str(n),
           "--max-attempts", str(n), "--max-exchanges", str(args.exchanges), "--min-words", "40",
           "--max-words", "80", "--min-score", "0", "--few-shot", "0", "--concurrency", str(args.concurrency),
           "--no-llm-judge", "--no-report", "--quiet", "--judge-weights", str(weights), "--format", args.formats,
           "--out", str(out)]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    ps = psutil.Process(proc.pid)
    samples: dict[int, float] = {}
    marks = [n // 4, n // 2, 3 * n // 4]
    lines = _LineCounter(out / "dialogues.jsonl")
    # Reaped with wait4, not Popen.poll: wait4 returns this child's own peak RSS (ru_maxrss, kB on Linux) and CPU.
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        rss = ps.memory_info().rss / 2**20
        done = lines() if marks else 0
        while marks and done >= marks[0]:
            samples[marks.pop(0)] = rss
        time.sleep(args.interval)
    wall = time.perf_counter() - t0
    proc.returncode = code = os.waitstatus_to_exitcode(status)
    stderr = proc.stderr.read() if proc.stderr else b""
    proc.stdout and proc.stdout.close()
    proc.stderr and proc.stderr.close()
    if code not in (0, 1):
        raise SystemExit(f"run.py exited {code}: {stderr.decode()[-2000:]}")
    peak = usage.ru_maxrss / 1024
    totals = json.loads((out / "manifest.json").read_text())["totals"]
    size = (out / "dialogues.jsonl").stat().st_size / 2**20
    return {"n": n, "cmd": cmd, "wall": wall, "peak": peak, "samples": samples, "attempted": totals["attempted"],
            "kept": totals["kept"], "jsonl_mb": size, "cpu": usage.ru_utime + usage.ru_stime}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000,10000", help="comma-separated dialogue counts")
    ap.add_argument("--exchanges", type=int, default=1)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--interval", type=float, default=0.2, help="RSS sampling interval, seconds")
    ap.add_argument("--formats", default="all", help="export formats the run writes (default: every one)")
    ap.add_argument("--keep", action="store_true", help="keep the run directories (printed)")
    args = ap.parse_args()
    sizes = [int(x) for x in args.sizes.split(",")]
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp, \
            fault_server_process(FaultConfig(latency=0.0)) as (url, _pid):
        work = Path(tmp)
        for n in sizes:
            r = measure(url, n, work, args)
            rows.append(r)
            print(f"{n}: peak {r['peak']:.0f} MiB in {r['wall']:.0f} s", file=sys.stderr, flush=True)
        if args.keep:
            kept_dir = Path(tempfile.mkdtemp(prefix="bench-memory-runs-"))
            for r in rows:
                os.replace(work / f"run-{r['n']}", kept_dir / f"run-{r['n']}")
            print(f"run directories kept in {kept_dir}", file=sys.stderr)
    print("| dialogues | dialogues.jsonl MiB | wall s | client CPU s | RSS at 25% / 50% / 75% MiB | peak RSS MiB |")
    print("| ---: | ---: | ---: | ---: | --- | ---: |")
    for r in rows:
        s = " / ".join(f"{r['samples'][k]:.0f}" if k in r["samples"] else "-"
                       for k in (r["n"] // 4, r["n"] // 2, 3 * r["n"] // 4))
        print(f"| {r['n']:,} | {r['jsonl_mb']:.1f} | {r['wall']:.0f} | {r['cpu']:.0f} | {s} | {r['peak']:.0f} |")
    print()
    print("Commands (the fault server ran as `python -m tools.fault_server --port 0 --latency 0.0`; "
          "weights: salesgen/data/judge/rules_only.toml):")
    print()
    for r in rows:
        cmd = [c if not c.startswith(("/tmp", tempfile.gettempdir())) else Path(c).name for c in r["cmd"]]
        cmd[0] = "python"
        print(f"    {shlex.join(cmd)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
