"""Lines that say the rules' closing words and go on past them: `python -m bench.closers RUN_DIR`.

The closing words are those `scenarios/sales/voice.toml` gives (the seller's questions and final offer, the
customer's first and price questions, a decision's goodbye). Read from the words, so runs from before the moves
recorded them compare too.
"""
from __future__ import annotations

import argparse
import re
import statistics
import tomllib
from pathlib import Path

from salesgen.core.dialogue import CUSTOMER, SALESPERSON
from salesgen.core.rundir import RunDir
from salesgen.core.words import count_words
from salesgen.scenarios.sales.episode import VOICE_FILE


def closers() -> dict[str, list[re.Pattern[str]]]:
    """Per role, the closing words as patterns (a final offer's price is any amount)."""
    v = tomllib.loads(VOICE_FILE.read_text(encoding="utf-8"))
    c, s = v[CUSTOMER], v[SALESPERSON]
    said = {CUSTOMER: [e for k in ("accept_end", "decline_end") for group in c[k].values() for e in group]
            + [c["state_needs_end"], c["ask_discount_end"]],
            SALESPERSON: [q["question"] for q in s["questions"]] + [s["greet_end"], s["final"]]}
    return {role: [re.compile(re.escape(w).replace(re.escape("{price}"), r"\$[\d,.]+")) for w in words]
            for role, words in said.items()}


def stats(run_dir: Path) -> dict[str, str]:
    found = closers()
    out = {}
    for role, pats in found.items():
        said = on = 0
        at: list[int] = []
        for d in RunDir.open(run_dir).dialogues():
            for t in d.turns:
                if t.role != role:
                    continue
                m = next((m for p in pats if (m := p.search(t.text))), None)
                if m is None:
                    continue
                said += 1
                if t.text[m.end():].strip():
                    on += 1
                    at.append(count_words(t.text[:m.end()]))
        out[f"{role} lines that say their closing words / go on past them"] = f"{said} / {on}"
        out[f"{role}: words up to them where it goes on (median)"] = str(statistics.median(at)) if at else "-"
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("run_dir", type=Path)
    for k, v in stats(p.parse_args().run_dir).items():
        print(f"| {k} | {v} |")


if __name__ == "__main__":
    main()
