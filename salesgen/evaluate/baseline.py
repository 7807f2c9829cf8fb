"""Build the BERTScore rescaling baseline from unrelated reference pairs (run once per encoder).

Built by `python -m tools.bertscore_baseline [--model DIR] [--pairs 400] [--seed 0]`.

Each pair joins one role's side of a dialogue from one bundled reference set with a side of a dialogue from a
*different* set (car sales vs charity persuasion vs bargaining vs chit-chat), so the two texts share register but
not content. The mean raw P, R and F1 per layer is what "unrelated" scores; rescaling maps it to 0.
"""
from __future__ import annotations

import io
import logging
import random
from pathlib import Path

from salesgen.core.dialogue import CUSTOMER, SALESPERSON
from salesgen.core.rundir import write_atomic
from salesgen.evaluate.bertscore import Scorer, baseline_file, resolve_model
from salesgen.evaluate.references import bundled
from salesgen.evaluate.text import side

log = logging.getLogger(__name__)


def unrelated_pairs(n: int, seed: int) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    sides = {s.name: [t for d in s.dialogues for t in (side(d, SALESPERSON), side(d, CUSTOMER)) if t]
             for s in bundled()}
    names = sorted(sides)
    pairs = []
    while len(pairs) < n:
        a, b = rng.sample(names, 2)
        pairs.append((rng.choice(sides[a]), rng.choice(sides[b])))
    return pairs


def build(model_dir: Path | None, n: int, seed: int) -> tuple[Path, str]:
    spec = resolve_model(model_dir)
    scorer = Scorer(spec, all_layers=True)
    pairs = unrelated_pairs(n, seed)
    P, R, F = scorer.pairs([a for a, _ in pairs], [b for _, b in pairs])  # each: layers x pairs
    buf = io.StringIO()
    buf.write("LAYER,P,R,F\n")
    for layer in range(P.shape[0]):
        buf.write(f"{layer},{P[layer].mean():.6f},{R[layer].mean():.6f},{F[layer].mean():.6f}\n")
    out = baseline_file(spec.name)
    write_atomic(out, buf.getvalue())
    return out, buf.getvalue()
