"""Kept dialogues of a run printed in full, picked by index (so by seed), never by score: what a reader reads.

    .venv/bin/python -m bench.samples RUN_DIR --count 10 > docs/samples.md
"""
from __future__ import annotations

import argparse
from pathlib import Path

from salesgen.core.dialogue import KEPT
from salesgen.core.rundir import RunDir
from salesgen.core.words import count_words


def render(run: Path, count: int) -> str:
    kept = sorted((d for d in RunDir.open(run).dialogues() if d.status == KEPT), key=lambda d: d.index)[:count]
    out = [f"# {len(kept)} kept dialogues of `{run.name}`, the first by index (seed), not by score\n"]
    for d in kept:
        p, o = d.persona, d.outcome
        moves = d.extra.get("moves") or []
        decided = (f"bought the {o.product_name} at ${o.price:,.2f}" if o and o.bought else "did not buy") if o else "?"
        out.append(f"## {d.id} — score {d.score}\n")
        out.append(f"{p.name}, {p.personality}, shopping for {p.needs or p.category}; must-haves "
                   f"{', '.join(p.preferred_features) or 'none'}; budget ${p.budget:,.0f}"
                   f"{' (may stretch)' if p.over_budget_ok else ''}; strategy: {p.strategy}. Outcome: {decided}.\n")
        for i, t in enumerate(d.turns):
            act = f" *{moves[i]['act']}*" if i < len(moves) else ""
            out.append(f"**{t.role}**{act} ({count_words(t.text)} words): {t.text}\n")
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run", type=Path)
    ap.add_argument("--count", type=int, default=10)
    a = ap.parse_args()
    print(render(a.run, a.count))


if __name__ == "__main__":
    main()
