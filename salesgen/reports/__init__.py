"""The HTML report of a run: one self-contained file built from the run directory and its metrics."""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from salesgen.core.rundir import REPORT, RunDir, write_atomic

log = logging.getLogger(__name__)
__all__ = ["build_report"]


def build_report(run_dir: Path | str, metrics: dict[str, Any]) -> Path:
    """Write report.html into the run directory and return its path."""
    from salesgen.reports.page import render

    rd = RunDir.open(Path(run_dir))
    html = render(metrics, rd.dialogues(), rd.path.name)
    out = rd.file(REPORT)
    write_atomic(out, html)
    log.info("report written to %s (%d kB)", out, len(html) // 1024)
    return out
