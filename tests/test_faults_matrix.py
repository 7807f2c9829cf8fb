"""The real pipeline (`run.py` in a subprocess) against the loopback fault server under a matrix of faults.

Whatever the server does, every dialogue the run started ends in dialogues.jsonl as kept, discarded with reasons
or failed with reasons; failures make the run PARTIAL (exit 1); transient faults are retried.
"""
from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from faults_support import fake_run_args, record_all_requests, records, resent_bodies, rules_weights, run_cli

TRANSIENT = ("429", "500", "drop", "hang", "malformed")  # faults the HTTP layer retries
EXHAUSTED = ("model request failed", "retry budget", "asked to wait", "rejected the request")

# name -> (fault server settings, run.py flags)
CASES: dict[str, tuple[dict, dict]] = {
    "429-retry-after": ({"rate_429": 0.3, "retry_after": "0.1"}, {}),
    "500": ({"rate_500": 0.3}, {}),
    "dropped-connections": ({"rate_drop": 0.3}, {}),
    "hangs-past-timeout": ({"rate_hang": 0.2, "hang_seconds": 3.0}, {"request_timeout": 0.5}),
    "malformed-bodies": ({"rate_malformed": 0.3}, {}),
    "empty-replies": ({"rate_empty": 0.3}, {}),
    "garbled-replies": ({"rate_garbled": 0.4}, {}),
    "mix": ({"rate_429": 0.08, "retry_after": "0.1", "rate_500": 0.08, "rate_drop": 0.06, "rate_hang": 0.04,
             "hang_seconds": 3.0, "rate_empty": 0.06, "rate_garbled": 0.06, "rate_malformed": 0.04},
            {"request_timeout": 0.5}),
    # Always failing: every dialogue must end failed, with the reason, and the run say PARTIAL.
    "always-500": ({"rate_500": 1.0}, {"num_dialogues": 2, "max_attempts": 2, "max_request_retries": 1}),
    "always-empty": ({"rate_empty": 1.0}, {"num_dialogues": 2, "max_attempts": 2, "max_retries": 1}),
    "retry-after-too-long": ({"rate_429": 1.0, "retry_after": "600"}, {"num_dialogues": 2, "max_attempts": 2}),
}


def run_case(fault_server, tmp_path: Path, faults: dict, flags: dict):
    srv = fault_server(**faults)
    record_all_requests(srv)
    out = tmp_path / "run"
    args = fake_run_args(srv.url, out, rules_weights(tmp_path), **{"max_request_retries": 3, **flags})
    proc = run_cli(args, timeout=120)
    return srv, out, proc


def check_every_dialogue_accounted_for(out: Path, proc, flags: dict) -> list[dict]:
    assert proc.returncode in (0, 1), proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    recs = records(out)
    n_wanted, n_attempts = flags.get("num_dialogues", 3), flags.get("max_attempts", 4)
    # Nothing silently dropped: the run attempts indices in order, so what it wrote is exactly 0..k-1, once each.
    ids = [r["id"] for r in recs]
    assert len(ids) == len(set(ids)), ids
    assert sorted(r["index"] for r in recs) == list(range(len(recs)))
    kept = [r for r in recs if r["status"] == "kept"]
    # It stopped only because enough were kept or the attempts were spent.
    assert len(kept) >= n_wanted or len(recs) == n_attempts, (len(kept), len(recs))
    assert len(recs) <= n_attempts
    for r in recs:
        assert r["status"] in ("kept", "discarded", "failed"), r["status"]
        if r["status"] != "kept":
            assert r["reasons"] and all(isinstance(x, str) and x for x in r["reasons"]), r
        if r["status"] == "failed":
            assert r["reasons"][0].startswith(("generation: ", "judge: ")), r["reasons"]
        else:
            assert r["verdicts"], r["id"]
    # discarded.jsonl names exactly the dialogues that were not kept; the manifest counts every attempt.
    assert {d["id"] for d in records(out, "discarded.jsonl")} == {r["id"] for r in recs if r["status"] != "kept"}
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["totals"]["attempted"] == len(recs)
    failed = [r for r in recs if r["status"] == "failed"]
    assert manifest["totals"]["failed"] == len(failed)
    if failed:
        assert proc.returncode == 1
        assert manifest["status"] == "partial"
        assert f"PARTIAL RUN: {len(failed)} dialogues failed" in proc.stdout, proc.stdout
    else:
        assert proc.returncode == 0, proc.stderr[-3000:]
        assert manifest["status"] == "complete"
        assert "PARTIAL" not in proc.stdout
    assert f"Kept {min(len(kept), n_wanted)} of {len(recs)} dialogues" in proc.stdout, proc.stdout
    with open(out / "sales_conversations.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert {row["dialogue_id"] for row in rows} <= {r["id"] for r in kept}
    return recs


@pytest.mark.parametrize("case", list(CASES))
def test_fault_matrix(case, fault_server, tmp_path):
    faults, flags = CASES[case]
    srv, out, proc = run_case(fault_server, tmp_path, faults, flags)
    recs = check_every_dialogue_accounted_for(out, proc, flags)
    stats = srv.stats
    injected = {f: stats.get(f, 0) for f in (*TRANSIENT, "empty", "garbled") if stats.get(f, 0)}
    assert injected, f"the server injected no fault: {dict(stats)}"
    transient = sum(stats.get(f, 0) for f in TRANSIENT)
    failed = [r for r in recs if r["status"] == "failed"]
    gave_up = [r for r in failed if any(x in r["reasons"][0] for x in EXHAUSTED)]
    # Each transient fault was followed by a resend of the same request, except the last try of a request that
    # made its dialogue fail (a failing dialogue stops at that request).
    assert resent_bodies(srv) == transient - len(gave_up), (dict(stats), len(gave_up))
    if transient and len(gave_up) < transient:
        assert resent_bodies(srv) > 0
    if case == "empty-replies":
        # Empty text is the simulator's to handle: regenerated (attempts > 1) or, if it never comes, failed.
        regenerated = [t for r in recs for t in r["turns"] if t["attempts"] > 1]
        assert regenerated or any("no usable text" in r["reasons"][0] for r in failed)
    if case == "garbled-replies":
        assert any(t["attempts"] > 1 for r in recs for t in r["turns"]) or any(r["status"] != "kept" for r in recs)


def test_always_failing_server_fails_every_dialogue_with_its_reason(fault_server, tmp_path):
    faults, flags = CASES["always-500"]
    srv, out, proc = run_case(fault_server, tmp_path, faults, flags)
    recs = check_every_dialogue_accounted_for(out, proc, flags)
    assert proc.returncode == 1
    assert [r["status"] for r in recs] == ["failed", "failed"]
    for r in recs:
        assert "failed 2 times" in r["reasons"][0] and "HTTP 500" in r["reasons"][0], r["reasons"]
    assert srv.stats["500"] == 4  # two dialogues × (one try + one retry) of their first request
    assert "Discarded or failed because of: generation failed (2)." in proc.stdout


def test_always_empty_replies_fail_in_the_simulator_not_the_http_layer(fault_server, tmp_path):
    faults, flags = CASES["always-empty"]
    srv, out, proc = run_case(fault_server, tmp_path, faults, flags)
    recs = check_every_dialogue_accounted_for(out, proc, flags)
    assert proc.returncode == 1
    for r in recs:
        assert r["status"] == "failed"
        assert "returned no usable text in 2 tries" in r["reasons"][0], r["reasons"]
    assert resent_bodies(srv) == 0  # a 200 with empty text is regenerated with a repair prompt, never resent
    assert srv.stats["empty"] == 4


def test_retry_after_beyond_the_limit_fails_at_once(fault_server, tmp_path):
    faults, flags = CASES["retry-after-too-long"]
    srv, out, proc = run_case(fault_server, tmp_path, faults, flags)
    recs = check_every_dialogue_accounted_for(out, proc, flags)
    assert proc.returncode == 1
    for r in recs:
        assert "asked to wait 600 s" in r["reasons"][0], r["reasons"]
    assert srv.stats["429"] == 2  # no retry when the server asks for longer than we allow


def test_a_scripted_burst_of_faults_is_retried_and_every_dialogue_kept(fault_server, tmp_path):
    # Deterministic: one dialogue at a time; four of its requests meet one retryable fault each, then succeed.
    faults = {"script": ["429", "ok", "500", "ok", "drop", "ok", "malformed", "ok"], "retry_after": "0.1"}
    flags = {"num_dialogues": 2, "max_attempts": 2, "concurrency": 1, "min_score": 0.0, "max_request_retries": 1}
    srv, out, proc = run_case(fault_server, tmp_path, faults, flags)
    recs = check_every_dialogue_accounted_for(out, proc, flags)
    assert proc.returncode == 0
    assert [r["status"] for r in recs] == ["kept", "kept"]
    assert resent_bodies(srv) == 4
    assert all(srv.stats[f] == 1 for f in ("429", "500", "drop", "malformed"))


def test_many_dialogues_in_flight_against_an_instant_server(fault_server, tmp_path):
    # No latency and many in flight: tasks finish in bursts, which once emptied the slot pool (QueueEmpty).
    flags = {"num_dialogues": 60, "max_attempts": 60, "concurrency": 16, "max_exchanges": 1, "min_score": 0.0}
    srv, out, proc = run_case(fault_server, tmp_path, {}, flags)
    recs = check_every_dialogue_accounted_for(out, proc, flags)
    assert proc.returncode == 0 and len(recs) == 60


def test_a_rejected_key_stops_the_run_with_exit_2(fault_server, tmp_path):
    # 401 fails every later request too: one clear line, not a run of identical failures.
    faults = {"script": ["ok"] * 12 + ["401"] * 50}  # two dialogues of 5 requests finish first
    flags = {"num_dialogues": 5, "max_attempts": 10, "concurrency": 1, "min_score": 0.0}
    srv, out, proc = run_case(fault_server, tmp_path, faults, flags)
    assert proc.returncode == 2, proc.stderr[-2000:]
    lines = [x for x in proc.stderr.splitlines() if x.strip()]
    assert len(lines) == 1 and "refused" in lines[0] and "API key" in lines[0]
    assert srv.stats["401"] == 1  # stopped at the first refusal
    assert records(out) and all(r["status"] != "failed" for r in records(out))  # what finished is kept
    assert json.loads((out / "manifest.json").read_text())["status"] == "partial"


def test_resume_tries_failed_dialogues_again(fault_server, tmp_path):
    faults, flags = CASES["always-500"]
    srv, out, proc = run_case(fault_server, tmp_path, faults, flags)
    assert proc.returncode == 1 and {r["status"] for r in records(out)} == {"failed"}
    srv.config.update({"rate_500": 0.0})
    resumed = run_cli(["--resume", str(out), "--quiet"], timeout=120)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    latest = {r["id"]: r["status"] for r in records(out)}  # the last record of an id wins
    assert set(latest.values()) == {"kept"} and len(latest) == flags["num_dialogues"]
