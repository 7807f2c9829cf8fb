"""The yardstick: the generated data's metrics computed on the bundled reference sets as well.

Diversity is cheap and computed every time. BERTScore of a reference set against the BERTScore reference takes a
minute on two cores, so results are cached in data/references/yardstick_bertscore.json, keyed by everything that
changes them; `python -m salesgen.evaluate.yardstick` refreshes that file for the default reference and encoder.
"""
from __future__ import annotations

import hashlib
import json
import logging
from functools import cache
from pathlib import Path
from typing import Any

from salesgen.core.rundir import write_atomic
from salesgen.evaluate.bertscore import Scorer, resolve_model, score_set
from salesgen.evaluate.config import REFERENCES, settings
from salesgen.evaluate.diversity import diversity
from salesgen.evaluate.references import ReferenceSet, bundled, load_reference

log = logging.getLogger(__name__)
CACHE = REFERENCES / "yardstick_bertscore.json"


@cache
def _sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def cache_key(scorer: Scorer, reference: ReferenceSet, target: ReferenceSet) -> str:
    cfg = settings()["bertscore"]
    return "|".join([scorer.hash(rescaled=False), _sha256(scorer.spec.baseline)[:16] if scorer.spec.baseline else "raw",
                     _sha256(reference.path)[:16], _sha256(target.path)[:16], str(cfg["max_yardstick"]),
                     str(cfg["seed"])])


def _read_cache() -> dict[str, Any]:
    try:
        return json.loads(CACHE.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}


def bertscore_of(scorer: Scorer, reference: ReferenceSet, target: ReferenceSet,
                 store: dict[str, Any] | None = None) -> dict[str, Any]:
    key = cache_key(scorer, reference, target)
    cached = (store if store is not None else _read_cache()).get(key)
    if cached is not None:
        return cached
    log.info("yardstick BERTScore: %s against %s (not cached)", target.name, reference.name)
    same = target.path.resolve() == reference.path.resolve()
    result = score_set(scorer, target.dialogues, reference.dialogues, settings()["bertscore"]["max_yardstick"],
                       leave_one_out=same)
    if store is not None:
        store[key] = result
    return result


def yardstick(reference: ReferenceSet, scorer: Scorer | None, band: tuple[int, int],
              sets: list[ReferenceSet] | None = None) -> dict[str, Any]:
    out = {}
    for s in sets if sets is not None else bundled():
        entry: dict[str, Any] = {"label": s.label, "kind": s.kind, "note": s.note, "dialogues": len(s.dialogues),
                                 "diversity": diversity(s.dialogues, band)}
        entry["bertscore"] = bertscore_of(scorer, reference, s) if scorer is not None else None
        out[s.name] = entry
    return out


def refresh(model_dir: Path | None = None) -> Path:
    """Recompute the cached yardstick BERTScores for the default reference (and the given encoder)."""
    scorer = Scorer(resolve_model(model_dir))
    reference = load_reference(None)
    store: dict[str, Any] = {}
    for s in bundled():
        bertscore_of(scorer, reference, s, store)
    # Only the current keys: entries for an old encoder, baseline or settings would never be read again.
    write_atomic(CACHE, json.dumps(store, indent=1, sort_keys=True) + "\n")
    return CACHE


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    log.info("wrote %s", refresh())
