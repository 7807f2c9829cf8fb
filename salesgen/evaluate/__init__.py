"""Analysis of a run: diversity, BERTScore against references, the rubric, prompt-variant statistics."""
from __future__ import annotations

from typing import Any

__all__ = ["run_evaluation", "compare_variants"]


def run_evaluation(run_dir, reference=None, bertscore_model=None, **kwargs: Any) -> dict[str, Any]:
    """Evaluate RUN_DIR, write metrics.json into it and return the metrics (see evaluate/pipeline.py)."""
    from salesgen.evaluate.pipeline import run_evaluation as _run

    return _run(run_dir, reference=reference, bertscore_model=bertscore_model, **kwargs)


def compare_variants(dialogues, order=None, **kwargs: Any) -> dict[str, Any] | None:
    """Per-metric means, paired differences and winners across prompt variants (see evaluate/variants.py)."""
    from salesgen.evaluate.variants import compare_variants as _cmp

    return _cmp(dialogues, order=order, **kwargs)
