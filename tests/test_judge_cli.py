"""`run.py judge FILE`: scoring a dataset a user already has, and writing the verdicts beside it."""
import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAPER = ROOT / "salesgen" / "data" / "references" / "car_dealer" / "paper_examples.json"


def test_judge_a_car_dealer_file_and_split_kept_from_discarded(tmp_path):
    src = tmp_path / "paper_examples.json"
    shutil.copy(PAPER, src)
    proc = subprocess.run([sys.executable, "run.py", "judge", str(src), "--no-llm-judge", "--min-score", "0.6"],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = tmp_path / "paper_examples.judged"
    records = [json.loads(x) for x in (out / "judgements.jsonl").read_text().splitlines()]
    assert len(records) == sum(len(v) for v in json.loads(PAPER.read_text()).values())
    assert all(r["verdicts"] and r["status"] in ("kept", "discarded") for r in records)
    assert all(r["reasons"] for r in records if r["status"] == "discarded")
    kept = sum(r["status"] == "kept" for r in records)
    with open(out / "kept.csv", newline="") as fh:
        kept_ids = {row["dialogue_id"] for row in csv.DictReader(fh)}
    assert len(kept_ids) == kept
    summary = json.loads((out / "summary.json").read_text())
    assert (summary["judged"], summary["kept"]) == (len(records), kept)
    assert f"Kept {kept} of {len(records)}" in proc.stdout
    # Car Dealer data was never held to a word band, and its products are not this catalog's: said, not hidden.
    assert summary["gates_not_applied"][0] == "band (no --min-words/--max-words given)"
    assert any(g.startswith("catalog and floor on ") for g in summary["gates_not_applied"])
    assert "Gates not applied: band (no --min-words/--max-words given)" in proc.stdout


def test_judge_a_missing_file_is_one_line_and_exit_2(tmp_path):
    proc = subprocess.run([sys.executable, "run.py", "judge", str(tmp_path / "nope.csv"), "--no-llm-judge"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "nope.csv" in proc.stderr
