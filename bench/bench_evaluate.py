"""Time and peak memory to evaluate (and report) a run of N synthetic dialogues.

python bench/bench_evaluate.py [--n 10000] [--variants 2] [--no-bertscore] [--keep DIR]

The run directory is written first (not timed); then `python -m salesgen.evaluate RUN_DIR` runs in a child process, so
its wall time and peak resident memory (ru_maxrss of the child) are the evaluation's own. Prints figures only.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from salesgen.evaluate.synthetic import synthetic_run  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10_000, help="dialogues in total (split across variants)")
    ap.add_argument("--variants", type=int, default=2)
    ap.add_argument("--no-bertscore", action="store_true")
    ap.add_argument("--keep", type=Path, default=None, help="write the run here and keep it")
    args = ap.parse_args()
    names = [f"v{i + 1}" for i in range(args.variants)]
    per_variant = args.n // len(names)
    with tempfile.TemporaryDirectory() as tmp:
        run = args.keep or Path(tmp) / "run"
        t0 = time.perf_counter()
        synthetic_run(run, per_variant, names, qualities=[0.72 + 0.04 * i for i in range(len(names))])
        size = (run / "dialogues.jsonl").stat().st_size
        print(f"wrote {per_variant * len(names)} synthetic dialogues ({size / 1e6:.1f} MB) in "
              f"{time.perf_counter() - t0:.1f} s")
        cmd = [sys.executable, "-m", "salesgen.evaluate", str(run), "-q"] + \
            (["--no-bertscore"] if args.no_bertscore else [])
        t0 = time.perf_counter()
        res = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env={**os.environ, "HF_HUB_OFFLINE": "1"})
        wall = time.perf_counter() - t0
        if res.returncode != 0:
            sys.exit(f"evaluation failed ({res.returncode}): {res.stderr.strip()}")
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # Linux reports kB
        metrics = json.loads((run / "metrics.json").read_text(encoding="utf-8"))
        report = run / "report.html"
        print(f"evaluate + report: {wall:.1f} s wall, peak RSS {peak_mb:.0f} MB, cores {os.cpu_count()}")
        print(f"  run_evaluation {metrics['seconds']:.1f} s by phase: "
              + ", ".join(f"{k} {v:.1f} s" for k, v in metrics["phase_seconds"].items()))
        print(f"  metrics.json {(run / 'metrics.json').stat().st_size / 1e3:.0f} kB, report.html "
              f"{report.stat().st_size / 1e3:.0f} kB")
        print("  " + res.stdout.strip().replace("\n", "\n  "))


if __name__ == "__main__":
    main()
