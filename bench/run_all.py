"""`make bench`: every benchmark in turn, each printing its own markdown table (copy figures to BENCHMARKS.md)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Quick settings; BENCHMARKS.md gives the exact (longer) commands behind each published figure.
BENCHES = [
    ["bench/bench_embedded.py", "--model", "tiny"],
    ["bench/bench_orchestration.py"],
    ["bench/bench_judge.py"],
    ["bench/bench_evaluate.py"],
    ["bench/bench_memory.py"],
]


def main() -> int:
    failed = 0
    for args in BENCHES:
        print(f"\n## {' '.join(args)}\n", flush=True)
        failed += subprocess.run([sys.executable, *args], cwd=ROOT).returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
