"""After generation: metrics (evaluate/) and the HTML report (reports/), rebuilt from the run directory alone."""
from __future__ import annotations

from pathlib import Path

from core.config import RunConfig
from core.rundir import RunDir


def evaluate_run(run: RunDir, cfg: RunConfig | None = None) -> Path:
    from evaluate import run_evaluation
    from reports import build_report

    metrics = run_evaluation(run.path, reference=cfg.reference if cfg else None,
                             bertscore_model=cfg.bertscore_model if cfg else None)
    return build_report(run.path, metrics)
