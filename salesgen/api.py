"""The Python API: what `python run.py`, `run.py judge` and `run.py report` do, from code.

    from salesgen.api import evaluate, generate, judge
    run = generate(out="runs/try", model="tiny", num_dialogues=2, formats=["csv", "parquet"], report=False)
    metrics = evaluate(run, bertscore=False)
    verdicts = judge(run / "dialogues.jsonl", min_score=0.7)

Bad input raises salesgen.core.errors.InputError with the one-line message the command line prints.
"""
from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from salesgen.app.cli import generate_run
from salesgen.app.evaluation import evaluate_run
from salesgen.app.subcommands import judge_parser, judge_path
from salesgen.core.config import RunConfig
from salesgen.core.errors import InputError
from salesgen.core.rundir import RunDir

__all__ = ["evaluate", "generate", "judge"]


def generate(out: str | Path | None = None, *, resume: str | Path | None = None, progress: bool = False,
             **options: Any) -> Path:
    """Generate, judge, export and (unless report=False) evaluate a run; `options` are RunConfig's fields (the
    command line's flags with underscores: num_dialogues, model, backend, min_score, formats, seed, ...). Returns the
    run directory; its manifest.json says whether the run was complete."""
    unknown = sorted(set(options) - set(RunConfig.__dataclass_fields__))
    if unknown:
        raise InputError(f"Unknown option{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}.")
    return generate_run(options, out, resume, quiet=not progress).run.path


def judge(path: str | Path, *, min_score: float = 0.7, out: str | Path | None = None, llm_judge: bool = False,
          **flags: Any) -> Path:
    """Score a dataset (dialogues.jsonl, a Salesman/User CSV or LMRL-Gym Car Dealer JSON) as `run.py judge` does;
    `flags` are its other options with underscores (backend, base_url, model, catalog, max_words ...). Returns the
    folder holding judgements.jsonl, kept.csv, discarded.csv and summary.json."""
    argv = [str(path), "--min-score", str(min_score)] + (["--out", str(out)] if out else []) + \
        ([] if llm_judge else ["--no-llm-judge"])
    for k, v in flags.items():  # True: a switch (llm_judge_all); False or None: left out
        flag = f"--{k.replace('_', '-')}"
        argv += [flag] if v is True else [] if v in (False, None) else [flag, str(v)]
    ns = judge_parser().parse_args(argv)
    return asyncio.run(judge_path(ns))[2]


def evaluate(run_dir: str | Path, *, reference: str | None = None, bertscore_model: str | None = None,
             bertscore: bool = True, report: bool = True) -> dict[str, Any]:
    """metrics.json (and report.html unless report=False) of a run directory; returns the metrics."""
    cfg = RunConfig(reference=reference, bertscore_model=bertscore_model)
    return evaluate_run(RunDir.open(Path(run_dir)), cfg, bertscore=bertscore, report=report)[0]
