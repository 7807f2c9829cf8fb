"""run_evaluation: every metric of a run directory, written to metrics.json beside the dialogues."""
from __future__ import annotations

import json
import logging
import time
from importlib import metadata
from pathlib import Path
from typing import Any

from salesgen.core.dialogue import KEPT
from salesgen.core.errors import InputError
from salesgen.core.rundir import RunDir, utc_now, write_atomic
from salesgen.evaluate import diversity as div
from salesgen.evaluate.bertscore import Scorer, describe, resolve_model, score_set
from salesgen.evaluate.config import METRICS, criteria, settings
from salesgen.evaluate.references import load_reference
from salesgen.evaluate.rubric import band_from, rubric
from salesgen.evaluate.text import tokenizer_name
from salesgen.evaluate.variants import compare_variants, variant_names
from salesgen.evaluate.yardstick import yardstick

log = logging.getLogger(__name__)
SCHEMA = 1


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def _scorer(bertscore_model: Path | str | None, enabled: bool) -> tuple[Scorer | None, str | None]:
    if not enabled:
        return None, "turned off"
    try:
        try:
            import bert_score  # noqa: F401  (imported for real only when the encoder loads)
        except ImportError:
            raise InputError("BERTScore needs the package bert-score (pip install bert-score==0.3.13).") from None
        return Scorer(resolve_model(bertscore_model)), None
    except InputError as e:
        if bertscore_model is not None:
            raise  # the user named an encoder: a bad one is their error to fix, not a silent skip
        log.warning("BERTScore skipped: %s", e)
        return None, str(e)


def run_evaluation(run_dir: Path | str, reference: Path | str | None = None,
                   bertscore_model: Path | str | None = None, *, bertscore: bool = True) -> dict[str, Any]:
    """Evaluate a run directory and write metrics.json into it; returns the same dict."""
    started = time.perf_counter()
    phases: dict[str, float] = {}
    mark = [started]

    def phase(name: str) -> None:
        now = time.perf_counter()
        phases[name] = round(now - mark[0], 3)
        mark[0] = now

    rd = RunDir.open(Path(run_dir))
    manifest = rd.manifest()
    dialogues = rd.dialogues()
    crit = criteria()
    band = band_from(manifest)
    kept = [d for d in dialogues if d.status == KEPT]
    names = variant_names(dialogues, manifest.get("variants"))
    ref = load_reference(reference)
    scorer, skipped = _scorer(bertscore_model, bertscore)
    phase("load")
    log.info("evaluating %d dialogues (%d kept) in %s", len(dialogues), len(kept), rd.path)

    metrics: dict[str, Any] = {
        "schema": SCHEMA,
        "evaluated": utc_now(),
        "run": {"path": str(rd.path), "created": manifest.get("created"), "status": manifest.get("status"),
                "model": manifest.get("model"), "variants": names, "config": manifest.get("config") or {}},
        "rubric": rubric(dialogues, manifest, crit),
    }
    phase("rubric")
    metrics["diversity"] = {"generated": div.diversity(kept, band), "tokenizer": tokenizer_name(),
                            "definitions": div.definitions()}
    if len(names) > 1:
        metrics["diversity"]["by_variant"] = {v: div.diversity([d for d in kept if d.variant == v], band)
                                              for v in names}
    phase("diversity")
    limit = settings()["bertscore"]["max_candidates"]
    if scorer is not None:
        bs: dict[str, Any] = {**describe(scorer), "reference": {"name": ref.name, "label": ref.label,
                                                                "path": str(ref.path), "dialogues": len(ref.dialogues)},
                              "library": f"bert-score {_version('bert-score')}",
                              "generated": score_set(scorer, kept, ref.dialogues, limit,
                                                     group=(lambda d: d.variant) if len(names) > 1 else None)}
        if len(names) > 1:
            bs["by_variant"] = bs["generated"].pop("groups")
        metrics["bertscore"] = bs
        log.info("BERTScore hash: %s", bs["hash"])
    else:
        metrics["bertscore"] = {"skipped": skipped}
    phase("bertscore")
    metrics["yardstick"] = yardstick(ref, scorer, band)
    phase("yardstick")
    metrics["variants"] = compare_variants(dialogues, order=names, criteria=crit, band=band)
    phase("variants")
    metrics["phase_seconds"] = phases
    metrics["settings"] = settings()
    metrics["seconds"] = round(time.perf_counter() - started, 3)
    write_atomic(rd.file(METRICS), json.dumps(metrics, indent=1, ensure_ascii=False) + "\n")
    return metrics
