"""Small statistics: bootstrap intervals for a mean and a paired sign-flip permutation test."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def bootstrap_ci(values: Sequence[float], n_boot: int = 2000, seed: int = 0,
                 level: float = 0.95) -> tuple[float, float] | None:
    """Percentile bootstrap interval of the mean; None for fewer than 2 values."""
    x = np.asarray(values, dtype=float)
    if x.size < 2:
        return None
    rng = np.random.default_rng(seed)
    # Chunked so 10,000 values x 2,000 resamples never needs one 160 MB index array.
    means = []
    step = max(1, 2_000_000 // x.size)
    for start in range(0, n_boot, step):
        idx = rng.integers(0, x.size, size=(min(step, n_boot - start), x.size))
        means.append(x[idx].mean(axis=1))
    m = np.concatenate(means)
    a = (1 - level) / 2
    return float(np.quantile(m, a)), float(np.quantile(m, 1 - a))


def paired_permutation_p(diffs: Sequence[float], n_perm: int = 9999, seed: int = 0) -> float | None:
    """Two-sided p-value that the mean paired difference is 0, by random sign flips (add-one corrected).

    Works the same for scores, seconds and 0/1 outcomes, which a rank test handles poorly (ties at 0).
    """
    d = np.asarray(diffs, dtype=float)
    if d.size < 2:
        return None
    observed = abs(d.mean())
    if np.allclose(d, 0):
        return 1.0
    rng = np.random.default_rng(seed)
    hits = 0
    step = max(1, 2_000_000 // d.size)
    for start in range(0, n_perm, step):
        signs = rng.choice((-1.0, 1.0), size=(min(step, n_perm - start), d.size))
        hits += int((np.abs((signs * d).mean(axis=1)) >= observed - 1e-12).sum())
    return (hits + 1) / (n_perm + 1)


def holm(pvalues: Sequence[float | None]) -> list[float | None]:
    """Holm-Bonferroni adjusted p-values (None stays None)."""
    present = sorted((p, i) for i, p in enumerate(pvalues) if p is not None)
    out: list[float | None] = [None] * len(pvalues)
    running, m = 0.0, len(present)
    for rank, (p, i) in enumerate(present):
        running = max(running, min(1.0, (m - rank) * p))
        out[i] = running
    return out
