"""Judge validity on the labelled set (bench/judge_set/): catch rate per kind of planted flaw, false discards.

A flawed copy is *caught* when the panel discards it through the gate or criterion its kind belongs to, with that
judge's evidence naming the planted turn; *discarded* counts any reason. A clean or subtle dialogue that is
discarded is a false discard. With --ablate, each judge is left out in turn: what it alone catches, what it alone
wrongly discards, and its seconds per dialogue.

    .venv/bin/python bench/judge_validity.py                   # the rules panel (the default on the embedded model)
    .venv/bin/python bench/judge_validity.py --ablate
    .venv/bin/python bench/judge_validity.py --llm qwen2.5-1.5b --ablate   # the LLM judge too, on the 1.5B model
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import json
import os
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bench.bench_judge import time_judges  # noqa: E402
from salesgen.core.catalog import Catalog  # noqa: E402
from salesgen.core.dialogue import DISCARDED, Dialogue  # noqa: E402
from salesgen.judge.base import PanelOptions  # noqa: E402
from salesgen.judge.panel import DEFAULT_WEIGHTS, Panel, load_weights  # noqa: E402
from salesgen.judge.resources import Resources  # noqa: E402
from salesgen.scenarios import load_all  # noqa: E402

load_all()  # the scenarios' judges join the panel's registry

SET_DIR = ROOT / "bench" / "judge_set"
# What should catch each kind of planted flaw: gates by name, quality criteria by the judges that feed them.
TARGETS: dict[str, tuple[set[str], set[str]]] = {  # kind -> (gates, judges whose low score or floor counts)
    "band": ({"band"}, set()),
    "exchanges": ({"exchanges"}, set()),
    "role_leak": ({"roles"}, set()),
    "outcome": ({"outcome"}, set()),
    "contradiction": ({"catalog"}, set()),
    "floor": ({"floor"}, set()),
    "toxic": ({"toxicity"}, set()),
    "stereotype": ({"toxicity"}, set()),
    "attack": ({"abuse"}, set()),
    "repetition": (set(), {"repetition", "llm_judge"}),
    "off_topic": (set(), {"coherence", "llm_judge"}),
    "thin": (set(), {"engagement", "llm_judge"}),
}


@dataclass
class Item:
    dialogue: Dialogue
    label: dict[str, Any]


def load_set(folder: Path = SET_DIR) -> list[Item]:
    items = []
    for path in sorted(folder.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                raw = json.loads(line)
                raw.setdefault("index", len(items))
                items.append(Item(Dialogue.from_dict(raw), raw["label"]))
    return items


def _at_turn(evidence: list[str], turn: int | None) -> bool:
    # Evidence names turns 1-based ("turn 4 (customer)"); the label's turn is 0-based. No turn: any evidence.
    return bool(evidence) if turn is None else any(f"turn {turn + 1} " in e for e in evidence)


def caught(d: Dialogue, label: dict[str, Any], min_score: float) -> bool:
    if d.status != DISCARDED:
        return False
    gates, judges = TARGETS[label["kind"]]
    turn = label.get("turn")
    for v in d.verdicts:
        for g in v.gates:
            if g.name in gates and not g.passed and _at_turn(g.evidence, turn):
                return True
        if v.judge in judges and any(r.startswith(f"{v.judge} ") for r in d.reasons):
            if v.judge == "llm_judge" or _at_turn(v.evidence, turn):
                return True
    return False


async def judge_all(panel: Panel, items: list[Item], min_score: float) -> tuple[list[Dialogue], float]:
    ds = [copy.deepcopy(i.dialogue) for i in items]
    t0 = time.perf_counter()
    for d in ds:  # one at a time: the seconds per dialogue are the panel's own
        await panel.judge(d, min_score)
    return ds, time.perf_counter() - t0


def tally(items: list[Item], ds: list[Dialogue], min_score: float) -> dict[str, dict[str, Any]]:
    rows: dict[str, dict[str, Any]] = defaultdict(lambda: {"n": 0, "caught": 0, "discarded": 0, "missed": []})
    for item, d in zip(items, ds, strict=True):
        lab = item.label
        key = lab["kind"] if lab["set"] == "flawed" else lab["set"]
        r = rows[key]
        r["n"] += 1
        r["discarded"] += d.status == DISCARDED
        if lab["set"] == "flawed":
            ok = caught(d, lab, min_score)
            r["caught"] += ok
            if not ok:
                r["missed"].append(f"{d.id}: {d.status}; " + ("; ".join(d.reasons)[:240] or f"score {d.score}"))
        elif d.status == DISCARDED:
            r["missed"].append(f"{d.id}: {'; '.join(d.reasons)[:240]}")
    return dict(rows)


def print_table(rows: dict[str, dict[str, Any]], verbose: bool) -> None:
    flawed = {k: r for k, r in rows.items() if k in TARGETS}
    good = {k: r for k, r in rows.items() if k not in TARGETS}
    print("| kind | n | caught by the right gate/criterion, evidence at the turn | discarded (any reason) |")
    print("| --- | ---: | ---: | ---: |")
    for k in TARGETS:
        if k in flawed:
            r = flawed[k]
            print(f"| {k} | {r['n']} | {r['caught']} | {r['discarded']} |")
    n = sum(r["n"] for r in flawed.values())
    c = sum(r["caught"] for r in flawed.values())
    print(f"| **all flaws** | {n} | **{c} ({c / max(1, n):.0%})** | {sum(r['discarded'] for r in flawed.values())} |")
    print("\n| good set | n | false discards |\n| --- | ---: | ---: |")
    for k, r in good.items():
        print(f"| {k} | {r['n']} | {r['discarded']} |")
    gn, gd = sum(r["n"] for r in good.values()), sum(r["discarded"] for r in good.values())
    print(f"| **all good** | {gn} | **{gd} ({gd / max(1, gn):.0%})** |")
    if verbose:
        for k, r in rows.items():
            for m in r["missed"]:
                print(f"  {'missed' if k in TARGETS else 'false discard'} [{k}] {m}")


def build(weights: Path, options: PanelOptions, resources: Resources | None) -> Panel:
    return Panel.build(Catalog.load(), PanelOptions(**{**options.__dict__, "weights_path": weights}),
                       resources=resources)


async def ablate(items: list[Item], options: PanelOptions, min_score: float, full: list[Dialogue], seconds: float,
           resources: Resources, spent: dict[str, float]) -> None:
    _, tables = load_weights(options.weights_path)
    base_caught = {d.id for i, d in zip(items, full, strict=True)
                   if i.label["set"] == "flawed" and caught(d, i.label, min_score)}
    base_false = {d.id for i, d in zip(items, full, strict=True) if i.label["set"] != "flawed"
                  and d.status == DISCARDED}
    print(f"\nAblation (full panel: {len(base_caught)} caught, {len(base_false)} false discards, "
          f"{seconds / len(items):.3f} s/dialogue)\n")
    print("| judge left out | catches lost (only this judge caught them) | false discards avoided | its s/dialogue |")
    print("| --- | --- | --- | ---: |")
    for name in tables:
        if tables[name].get("enabled", True) is False or (name == "llm_judge" and not options.use_llm_judge):
            continue
        rest = {k: v for k, v in tables.items() if k != name}
        with tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False) as f:
            for k, v in rest.items():
                f.write(f"[judges.{k}]\n" + "".join(f"{a} = {json.dumps(b)}\n" for a, b in v.items()))
        try:
            panel = build(Path(f.name), options, resources)
            ds, _ = await judge_all(panel, items, min_score)
        finally:
            os.unlink(f.name)
        now_caught = {d.id for i, d in zip(items, ds, strict=True)
                      if i.label["set"] == "flawed" and caught(d, i.label, min_score)}
        now_false = {d.id for i, d in zip(items, ds, strict=True) if i.label["set"] != "flawed"
                     and d.status == DISCARDED}
        lost = sorted(base_caught - now_caught)
        avoided = sorted(base_false - now_false)
        print(f"| {name} | {len(lost)}{': ' + ', '.join(lost) if lost else ''} | "
              f"{len(avoided)}{': ' + ', '.join(avoided) if avoided else ''} | "
              f"{spent.get(name, 0.0) / len(items):.3f} |")


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--set", type=Path, default=SET_DIR)
    ap.add_argument("--min-score", type=float, default=0.7)
    ap.add_argument("--weights", type=Path, default=None)
    ap.add_argument("--llm", default=None, help="embedded model for the LLM judge, run on every dialogue (default: "
                                                "no LLM judge)")
    ap.add_argument("--ablate", action="store_true")
    ap.add_argument("--per-kind", type=int, default=None, help="only the first N items of each kind and set (for "
                                                                 "the slow LLM judge)")
    ap.add_argument("-v", "--verbose", action="store_true", help="list every miss and false discard")
    ns = ap.parse_args()
    items = load_set(ns.set)
    if ns.per_kind:
        taken: dict[str, int] = defaultdict(int)
        keep = []
        for i in items:
            key = i.label["kind"] if i.label["set"] == "flawed" else i.label["set"]
            taken[key] += 1
            if taken[key] <= ns.per_kind:
                keep.append(i)
        items = keep
    # With a judge model the cascade is off: the LLM judge's worth is measured on every dialogue.
    options = PanelOptions(use_llm_judge=ns.llm is not None, weights_path=ns.weights or DEFAULT_WEIGHTS,
                           cascade=ns.llm is None)
    if ns.llm:
        from salesgen.llm.backends import open_chat_model

        async with open_chat_model(model=ns.llm, n_parallel=1, ctx_per_slot=8192) as chat:
            options.llm = chat
            await evaluate(items, options, ns)
    else:
        await evaluate(items, options, ns)


async def evaluate(items: list[Item], options: PanelOptions, ns: argparse.Namespace) -> None:
    panel = Panel.build(Catalog.load(), options)
    spent = time_judges(panel)
    ds, secs = await judge_all(panel, items, ns.min_score)
    print(f"{len(items)} labelled dialogues from {ns.set}, --min-score {ns.min_score}, judges: "
          f"{', '.join(panel.names)}; {secs / len(items):.3f} s/dialogue\n")
    print_table(tally(items, ds, ns.min_score), ns.verbose)
    if ns.llm:
        scores = defaultdict(list)
        for i, d in zip(items, ds, strict=True):
            v = next((v for v in d.verdicts if v.judge == "llm_judge"), None)
            if v is not None and v.score is not None:
                scores[i.label["kind"] if i.label["set"] == "flawed" else i.label["set"]].append(v.score)
        print("\nLLM judge score by set: " + ", ".join(f"{k} {sum(v) / len(v):.3f} (n={len(v)})"
                                                     for k, v in sorted(scores.items())))
        # What the LLM judge adds: the same set through the same panel without it.
        rules = Panel.build(Catalog.load(), PanelOptions(**{**options.__dict__, "use_llm_judge": False}),
                            resources=panel.resources)
        base, _ = await judge_all(rules, items, ns.min_score)
        changed = [f"{d.id}: {b.status} -> {d.status}" for i, b, d in zip(items, base, ds, strict=True)
                   if b.status != d.status or caught(b, i.label, ns.min_score) != caught(d, i.label, ns.min_score)]
        print(f"LLM judge seconds per dialogue: {spent.get('llm_judge', 0.0) / len(items):.1f}; "
              f"verdicts it changed: {len(changed)}" + "".join(f"\n  {c}" for c in changed))
    if ns.ablate:
        await ablate(items, options, ns.min_score, ds, secs, panel.resources, spent)


if __name__ == "__main__":
    asyncio.run(main())
