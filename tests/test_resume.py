"""Crash and resume: `kill -9` a run, tear its last record, `--resume` it; the result equals an uninterrupted run.

The fault server's replies are a function of the request alone, so two runs with the same seed are the same run.
"""
from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from faults_support import ROOT, fake_run_args, records, run_cli

from salesgen.app.sessions import close_session, code_version, open_session
from tools.fault_server import FaultConfig, FaultServer

FLAGS = {"num_dialogues": 6, "max_attempts": 12, "seed": 11, "min_score": 0.75}
KILL_AFTER = 3  # records on disk before the kill


@pytest.fixture(scope="module")
def server():
    # A little latency so the run is still going when it is killed; no jitter, no faults: deterministic.
    srv = FaultServer(FaultConfig(latency=0.03))
    srv.start_background()
    yield srv
    srv.stop_background()


@pytest.fixture(scope="module")
def weights() -> Path:
    # No gates: the fault server's canned lines fail the band and roles gates, and this test is about resuming.
    return ROOT / "tests" / "fixtures" / "weights_resume.toml"


def _lines(path: Path) -> int:
    try:
        return path.read_bytes().count(b"\n")
    except FileNotFoundError:
        return 0


def killed_run(args: list[str], out: Path, sig: int = signal.SIGKILL) -> subprocess.Popen:
    """Start run.py and send it `sig` (kill -9 by default) once KILL_AFTER dialogues are on disk."""
    proc = subprocess.Popen([sys.executable, "run.py", *args], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while _lines(out / "dialogues.jsonl") < KILL_AFTER:
            assert proc.poll() is None, f"run.py ended before the kill: {proc.stderr.read().decode()[-2000:]}"
            assert time.monotonic() < deadline, "run.py wrote too few dialogues"
            time.sleep(0.01)
        os.kill(proc.pid, sig)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stderr.close()
    if sig == signal.SIGKILL:
        assert proc.returncode == -signal.SIGKILL
        assert json.loads((out / "manifest.json").read_text())["status"] == "running"
    return proc


def policy_for(few_shot: int) -> dict[str, str]:
    """Exemplars are shown only under the free policy; the runs without them use the planned default."""
    return {"policy": "free"} if few_shot else {}


def csv_without_timestamps(run: Path) -> list[list[str]]:
    with open(run / "sales_conversations.csv", newline="") as fh:
        rows = list(csv.reader(fh))
    col = rows[0].index("Timestamp")
    return [row[:col] + row[col + 1:] for row in rows]


def content(rec: dict) -> tuple:
    """A dialogue without its times: what it says, how it ended and how it was judged."""
    return (rec["id"], rec["status"], rec["score"], rec["reasons"], [(t["role"], t["text"]) for t in rec["turns"]],
            rec["outcome"], [(v["judge"], v["score"]) for v in rec["verdicts"]])


def selected(run: Path) -> list[tuple]:
    """The kept dialogues the outputs are built from (first num_dialogues kept by index), by content."""
    kept = sorted((r for r in records(run) if r["status"] == "kept"), key=lambda r: r["index"])
    return [content(r) for r in kept[:FLAGS["num_dialogues"]]]


@pytest.fixture(scope="module")
def reference_runs(server, weights, tmp_path_factory) -> dict[tuple[int, int], Path]:
    """Uninterrupted runs, one per (few_shot, concurrency) used below."""
    runs = {}
    for few_shot, concurrency in ((0, 1), (0, 3), (2, 1)):
        out = tmp_path_factory.mktemp("reference") / "run"
        proc = run_cli(fake_run_args(server.url, out, weights, few_shot=few_shot, concurrency=concurrency, **FLAGS,
                         **policy_for(few_shot)))
        assert proc.returncode == 0, proc.stderr[-2000:]
        runs[few_shot, concurrency] = out
    return runs


@pytest.mark.parametrize("few_shot, concurrency, tear", [
    (0, 1, "half-record"),
    (0, 3, "half-record"),
    (0, 1, "record-without-newline"),
    (2, 1, "half-record"),
])
def test_resume_after_kill_equals_an_uninterrupted_run(few_shot, concurrency, tear, server, weights,
                                                         reference_runs, tmp_path):
    ref = reference_runs[few_shot, concurrency]
    ref_recs = {r["id"]: r for r in records(ref)}
    out = tmp_path / "run"
    args = fake_run_args(server.url, out, weights, few_shot=few_shot, concurrency=concurrency, **FLAGS,
                         **policy_for(few_shot))
    killed_run(args, out)

    before = records(out)
    done_ids = {r["id"] for r in before}
    # What a kill in the middle of the next append leaves: that record's first bytes, or all but its newline.
    nxt = next(r for r in sorted(ref_recs.values(), key=lambda r: r["index"]) if r["id"] not in done_ids)
    line = json.dumps(nxt, ensure_ascii=False).encode()
    with open(out / "dialogues.jsonl", "ab") as fh:
        fh.write(line[: len(line) // 2] if tear == "half-record" else line)

    proc = run_cli(["--resume", str(out)])
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Kept" in proc.stdout

    after = records(out)  # strict: every line complete
    ids = [r["id"] for r in after]
    assert len(ids) == len(set(ids)), "a dialogue was written twice"
    by_id = {r["id"]: r for r in after}
    for r in before:  # nothing finished before the kill was lost or rewritten
        assert content(by_id[r["id"]]) == content(r)
    assert nxt["id"] in by_id  # the torn record was dropped and regenerated, or completed
    if tear == "record-without-newline":  # complete JSON: kept as it was, not generated again
        assert by_id[nxt["id"]]["finished"] == nxt["finished"]
    else:
        assert by_id[nxt["id"]]["finished"] != nxt["finished"]
    # Per dialogue the same content as the uninterrupted run, and the same final files.
    for r in after:
        if r["id"] in ref_recs:
            assert content(r) == content(ref_recs[r["id"]]), r["id"]
    assert selected(out) == selected(ref)
    assert csv_without_timestamps(out) == csv_without_timestamps(ref)
    assert (out / "car_dealer.json").read_bytes() == (ref / "car_dealer.json").read_bytes()
    assert {d["id"] for d in records(out, "discarded.jsonl")} == {r["id"] for r in after if r["status"] != "kept"}
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "complete"
    assert manifest["totals"]["kept"] == FLAGS["num_dialogues"]
    # Both sessions on record: the killed one closed at its last dialogue, this one with its code and wall time.
    first, second = manifest["sessions"]
    assert (first["status"], second["status"]) == ("interrupted", "complete")
    assert first["finished"] == max(r["finished"] for r in before) and first["seconds"] > 0
    assert second["code"].get("commit") == code_version().get("commit") and second["seconds"] > 0
    assert manifest["timings"]["total"] == pytest.approx(first["seconds"] + second["seconds"], abs=0.02)


def test_sigterm_stops_a_run_in_order_and_resume_finishes_it(server, weights, reference_runs, tmp_path):
    """`kill PID` (a scheduler's stop) is Ctrl-C: the outputs are rebuilt from what finished, the session closed."""
    out = tmp_path / "run"
    proc = killed_run(fake_run_args(server.url, out, weights, few_shot=0, concurrency=1, **FLAGS), out, signal.SIGTERM)
    assert proc.returncode == 130
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "partial" and manifest["sessions"][-1]["status"] == "partial"
    kept = [r for r in records(out) if r["status"] == "kept"]
    with open(out / "sales_conversations.csv", newline="") as fh:
        ids = {row[3] for row in list(csv.reader(fh))[1:]}
    assert ids == {r["id"] for r in kept} and kept  # the CSV holds exactly what was kept before the stop
    proc = run_cli(["--resume", str(out)])
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert selected(out) == selected(reference_runs[0, 1])


def test_resume_of_a_finished_run_generates_nothing(server, weights, reference_runs, tmp_path):
    import shutil

    out = tmp_path / "run"
    shutil.copytree(reference_runs[0, 1], out)
    before = (out / "dialogues.jsonl").read_bytes()
    server.stats.clear()
    proc = run_cli(["--resume", str(out)])
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert (out / "dialogues.jsonl").read_bytes() == before
    assert server.stats.get("requests", 0) == 0
    sessions = json.loads((out / "manifest.json").read_text())["sessions"]
    assert [x["status"] for x in sessions] == ["complete", "complete"]


def test_sessions_record_the_code_and_a_run_from_before_them():
    """A run made before sessions were recorded gets one entry for its past, untimed, so no total is claimed."""
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True)
    assert code_version().get("commit") == (head.stdout.strip() if head.returncode == 0 else None)
    manifest = {"created": "2026-11-30T04:04:28.432+00:00", "status": "running",
                "timings": {"last_session_seconds": 10.0}}
    open_session(manifest, "2026-11-30T05:13:00+00:00", {}, last_record="2026-11-30T04:54:23.151+00:00")
    close_session(manifest, "2026-11-30T05:14:00+00:00", "partial", 60.0)
    old, new = manifest["sessions"]
    assert (old["status"], old["finished"], "seconds" in old) == ("interrupted", "2026-11-30T04:54:23.151+00:00", False)
    assert (new["status"], new["seconds"]) == ("partial", 60.0)
    assert manifest["timings"]["sessions_timed"] == "1 of 2" and "total" not in manifest["timings"]
    # Killed before it wrote anything: its end is unknown, not negative.
    open_session(manifest, "2026-11-30T06:00:00+00:00", {}, last_record="2026-11-30T05:13:30+00:00")
    open_session(manifest, "2026-11-30T07:00:00+00:00", {}, last_record="2026-11-30T05:13:30+00:00")
    assert manifest["sessions"][2]["status"] == "interrupted" and manifest["sessions"][2]["seconds"] is None


@pytest.mark.parametrize("tail, survives", [
    (b'{"id": "b", "index": 1', False),  # cut mid-record
    (b'{"id": "b", "text": "caf\xc3', False),  # cut inside a multi-byte character
    (b'{"id": "b", "index": 1}', True),  # complete but for its newline: a finished record, kept
])
def test_a_torn_tail_is_dropped_and_a_complete_one_kept(tmp_path, tail, survives):
    from salesgen.core.jsonl import JsonlWriter, read_jsonl

    path = tmp_path / "d.jsonl"
    path.write_bytes(b'{"id": "a", "index": 0}\n' + tail)
    seen_before = [r["id"] for r in read_jsonl(path)]  # what a resuming run counts as done
    with JsonlWriter(path) as w:
        w.write({"id": "c", "index": 2})
    after = [r["id"] for r in read_jsonl(path, strict=True)]
    assert seen_before == (["a", "b"] if survives else ["a"])
    assert after == (["a", "b", "c"] if survives else ["a", "c"])  # whatever was counted as done is still there


def test_each_dialogue_names_the_kept_dialogues_it_was_shown(reference_runs):
    """Few-shot lineage: the exemplar ids in a record are kept dialogues that finished before it (one in flight)."""
    kept_before: set[str] = set()
    shown = 0
    for r in sorted(records(reference_runs[2, 1]), key=lambda r: r["finished"]):
        ids = r["extra"]["exemplars"]
        assert len(ids) <= 2 and set(ids) <= kept_before, (r["id"], ids, kept_before)
        shown += bool(ids)
        if r["status"] == "kept":
            kept_before.add(r["id"])
    assert shown and kept_before
    assert all(r["extra"]["exemplars"] == [] for r in records(reference_runs[0, 1]))
