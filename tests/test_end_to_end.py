"""A real run of the CLI on the embedded tiny model: two agents, the judge, and every output file."""
import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from salesgen.core.dialogue import CUSTOMER, FAILED, KEPT, SALESPERSON
from salesgen.core.rundir import RunDir
from salesgen.core.words import count_words
from salesgen.scenarios.sales.decisions import NO, YES, decision_words
from salesgen.scenarios.sales.prices import find_money, same_amount

SENTINEL = "sk-sentinel-3f9c2a7e51d04b8c"  # must never reach a file
ROOT = Path(__file__).resolve().parent.parent
ARGS = ["--model", "tiny", "--num-dialogues", "2", "--max-attempts", "3", "--max-exchanges", "2",
        "--min-words", "20", "--max-words", "45", "--min-score", "0.3", "--concurrency", "2", "--no-report",
        "--no-llm-judge", "--quiet", "--seed", "7", "--format", "all"]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("e2e") / "run"
    env = {**os.environ, "OPENAI_API_KEY": SENTINEL}
    proc = subprocess.run([sys.executable, "run.py", *ARGS, "--out", str(out)], cwd=ROOT, capture_output=True,
                          text=True, timeout=1200, env=env)
    (out / "stdout.txt").write_text(proc.stdout + proc.stderr)
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    assert "Kept" in proc.stdout and str(out) in proc.stdout
    return out


def test_every_dialogue_ends_kept_discarded_or_failed_with_reasons(run_dir):
    dialogues = RunDir.open(run_dir).dialogues()
    assert 2 <= len(dialogues) <= 3
    for d in dialogues:
        assert d.status in (KEPT, "discarded", FAILED)
        assert d.status == KEPT or d.reasons, d.id
        assert d.verdicts or d.status == FAILED
    discarded = [json.loads(x) for x in (run_dir / "discarded.jsonl").read_text().splitlines()]
    assert {x["id"] for x in discarded} == {d.id for d in dialogues if d.status != KEPT}


def test_turns_alternate_and_respect_the_word_band(run_dir):
    for d in RunDir.open(run_dir).dialogues():
        if d.status == FAILED:
            continue
        roles = [t.role for t in d.turns]
        assert roles[0] == SALESPERSON
        assert all(a != b for a, b in zip(roles, roles[1:], strict=False))
        assert len(d.turns) <= 2 * 2
        for t in d.turns:
            # Planned lines are decoded under the band grammar: in the band, whatever the tiny model writes.
            assert 20 <= count_words(t.text) <= 45, (count_words(t.text), t.notes)
            assert not t.text.lower().startswith(("salesperson:", "customer:"))
        assert d.outcome is not None and d.outcome.bought is not None


def test_the_recorded_outcome_is_what_the_last_line_says(run_dir):
    dialogues = [d for d in RunDir.open(run_dir).dialogues() if d.status != FAILED]
    assert dialogues
    for d in dialogues:
        last = d.turns[-1]
        said, _ = decision_words().in_text(last.text)
        assert last.role == CUSTOMER and said in (YES, NO), last.text
        assert d.outcome.bought is (said == YES)
        if d.outcome.bought:
            assert any(same_amount(m.value, d.outcome.price) for m in find_money(last.text))
        assert d.extra["policy"] == "planned" and d.extra["moves"][-1]["act"] in ("accept", "decline")


def test_usage_is_counted_and_the_slot_prefix_is_reused(run_dir):
    dialogues = [d for d in RunDir.open(run_dir).dialogues() if d.status != FAILED]
    assert all(d.usage.completion_tokens > 0 and d.usage.prompt_tokens > 0 for d in dialogues)
    # later turns extend the same agent's cached prefix on its own slot
    assert sum(d.usage.cached_tokens for d in dialogues) > 0


def test_csv_and_car_dealer_outputs(run_dir):
    dialogues = RunDir.open(run_dir).dialogues()
    # The outputs hold the first --num-dialogues kept, by index: with 2 in flight a third may be kept too.
    kept = sorted((d for d in dialogues if d.status == KEPT), key=lambda d: d.index)[:2]
    with open(run_dir / "sales_conversations.csv", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0][:3] == ["Salesman", "User", "Timestamp"]
    assert len(rows) - 1 == sum(len(d.exchanges()) for d in kept)
    cd = json.loads((run_dir / "car_dealer.json").read_text())
    cars = [d for d in kept if d.product and d.product.category == "car"]
    assert sum(len(v) for v in cd.values()) == len(cars)
    for convs in cd.values():
        for c in convs:
            assert set(c) >= {"buyer_info", "lines", "output"}
            assert {x["role"] for x in c["lines"]} <= {"Seller", "Buyer"}
            assert set(c["output"]) == {"car_bought", "msrp", "buy_price"}


def test_parquet_and_the_dataset_card_hold_the_kept_dialogues(run_dir):
    kept = sorted((d for d in RunDir.open(run_dir).dialogues() if d.status == KEPT), key=lambda d: d.index)[:2]
    for folder in (run_dir, run_dir / "hf" / "data"):
        df = pd.read_parquet(folder / "dialogues.parquet")
        assert list(df["id"]) == [d.id for d in kept]
        for (_, row), d in zip(df.iterrows(), kept, strict=True):
            assert [t["text"] for t in row["turns"]] == [t.text for t in d.turns]
            assert row["sold"] == d.outcome.bought
        assert len(pd.read_parquet(folder / "turns.parquet")) == sum(len(d.turns) for d in kept)
    card = (run_dir / "hf" / "README.md").read_text()
    assert "config_name: turns" in card and "tiny" in card and f"{len(kept)} dialogues" in card


def test_manifest_records_the_model_and_never_a_key(run_dir):
    m = json.loads((run_dir / "manifest.json").read_text())
    assert m["status"] in ("complete", "partial")
    assert m["config"]["num_dialogues"] == 2 and m["config"]["seed"] == 7
    assert len(m["model"]["model_sha256"]) == 64


def test_no_output_contains_the_api_key(run_dir):
    files = [p for p in run_dir.rglob("*") if p.is_file()]
    assert len(files) >= 5
    assert not [p.name for p in files if SENTINEL in p.read_text(errors="replace")]


def test_roles_are_the_two_agents(run_dir):
    for d in RunDir.open(run_dir).dialogues():
        assert {t.role for t in d.turns} <= {SALESPERSON, CUSTOMER}
