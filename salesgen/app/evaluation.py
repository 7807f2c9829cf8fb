"""After generation: metrics (evaluate/) and the HTML report (reports/), rebuilt from the run directory alone."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from salesgen.core.config import RunConfig
from salesgen.core.rundir import RunDir


def evaluate_run(run: RunDir, cfg: RunConfig | None = None, bertscore: bool = True,
                 report: bool = True) -> tuple[dict[str, Any], Path | None]:
    """metrics.json and, unless `report` is false, report.html; returns the metrics and the report's path."""
    from salesgen.evaluate import run_evaluation
    from salesgen.reports import build_report

    metrics = run_evaluation(run.path, reference=cfg.reference if cfg else None,
                             bertscore_model=cfg.bertscore_model if cfg else None, bertscore=bertscore)
    return metrics, build_report(run.path, metrics) if report else None


def summary_lines(metrics: dict[str, Any], report: Path | None) -> str:
    """What `run.py report` prints: counts, BERTScore, diversity, and where the files are."""
    r = metrics["rubric"]
    c = r["counts"]
    lines = [f"{c['kept']} kept, {c['discarded']} discarded, {c['failed']} failed of {c['attempts']} attempts"]
    bs = metrics.get("bertscore") or {}
    if "hash" in bs:
        lines.append(f"BERTScore hash: {bs['hash']}")
        if bs.get("hash_rescaled"):
            lines.append(f"BERTScore hash (rescaled): {bs['hash_rescaled']}")
        for role in ("salesperson", "customer"):
            g = bs["generated"].get(role) or {}
            if g.get("n"):
                resc = g["rescaled"]["F"] if g.get("rescaled") else None
                lines.append(f"  {role}: F1 {g['raw']['F']:.3f}" + (f" (rescaled {resc:.3f})" if resc is not None
                                                                      else "") + f" over {g['n']} dialogues")
    else:
        lines.append(f"BERTScore skipped: {bs.get('skipped')}")
    d = metrics["diversity"]["generated"]

    def f(x: float | None) -> str:
        return "n/a" if x is None else f"{x:.3f}"

    lines.append(f"distinct-1/2/3 {f(d.get('distinct_1'))}/{f(d.get('distinct_2'))}/{f(d.get('distinct_3'))}"
                 f"{'' if d.get('sample_ok') else ' (kept dialogues hold fewer tokens than the fixed sample)'}, "
                 f"self-BLEU-3 {f(d.get('self_bleu_3'))}")
    lines.append(f"metrics: {Path(metrics['run']['path']) / 'metrics.json'}")
    if report:
        lines.append(f"report: {report}")
    return "\n".join(lines)
