"""Fill a persistent few-shot hub (`--hub DIR`) with the kept dialogues of earlier runs:
`python -m bench.seed_hub --hub DIR RUN_DIR...`. A later run started with `--hub DIR` draws its exemplars
from the first dialogue on, which is how the few-shot comparison in BENCHMARKS.md §7 is set up."""
from __future__ import annotations

import argparse
from pathlib import Path

from salesgen.core.dialogue import KEPT
from salesgen.core.rundir import RunDir
from salesgen.generate.hub import HUB_FILE, Hub


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hub", type=Path, required=True)
    ap.add_argument("--variant", default="default")
    ap.add_argument("runs", nargs="+", type=Path)
    ns = ap.parse_args()
    hub = Hub(ns.variant, path=ns.hub / HUB_FILE)
    added = 0
    for run in ns.runs:
        for d in RunDir.open(run).dialogues():
            if d.status == KEPT:
                d.variant = ns.variant
                hub.add(d)
                added += 1
    hub.close()
    print(f"{added} kept dialogues offered; the hub at {ns.hub / HUB_FILE} holds {len(hub.snapshot())} exemplars")


if __name__ == "__main__":
    main()
