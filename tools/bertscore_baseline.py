"""python -m tools.bertscore_baseline [--model DIR] [--pairs 400] [--seed 0]: write the BERTScore rescaling
baseline of an encoder (evaluate/baseline.py says how it is built)."""
from __future__ import annotations

import argparse
import logging
from pathlib import Path

from salesgen.evaluate.baseline import build

log = logging.getLogger(__name__)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split(":", 1)[1].strip())
    ap.add_argument("--model", type=Path, default=None, help="local encoder directory (default: packaged MiniLM)")
    ap.add_argument("--pairs", type=int, default=400)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    path, text = build(args.model, args.pairs, args.seed)
    log.info("wrote %s\n%s", path, text.rstrip())


if __name__ == "__main__":
    main()
