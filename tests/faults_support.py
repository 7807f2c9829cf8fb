"""Shared by the fault, bad-input, resume and security tests: run `run.py` as a user would, read what it left."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import deque
from pathlib import Path
from typing import Any

from tools.fault_server import FaultServer

ROOT = Path(__file__).resolve().parent.parent

RULES_ONLY = Path(__file__).resolve().parent.parent / "salesgen" / "data" / "judge" / "rules_only.toml"


def rules_weights(directory: Path) -> Path:
    """The shipped rules-only weights file (kept as a function so a test can swap in its own)."""
    return RULES_ONLY


def run_cli(args: list[str], env: dict[str, str] | None = None, timeout: float = 180,
            drop_env: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    """`python run.py ARGS` from the repository root, output captured."""
    full_env = {k: v for k, v in os.environ.items() if k not in drop_env}
    full_env.update(env or {})
    return subprocess.run([sys.executable, "run.py", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, env=full_env)


def fake_run_args(url: str, out: Path, weights: Path, **flags: Any) -> list[str]:
    """A small, fast run against a fault server; flags override the defaults (flag_name=value, None drops it)."""
    opts: dict[str, Any] = {
        "base_url": url, "model": "fault-model", "num_dialogues": 3, "max_attempts": 4, "max_exchanges": 2,
        "min_words": 40, "max_words": 80, "min_score": 0.7, "few_shot": 0, "concurrency": 2, "seed": 3,
        "judge_weights": weights, "out": out,
    }
    opts.update(flags)
    args: list[str] = []
    for k, v in opts.items():
        if v is None:
            continue
        args += [f"--{k.replace('_', '-')}", str(v)]
    return [*args, "--no-llm-judge", "--no-report", "--quiet"]


def records(run_dir: Path, name: str = "dialogues.jsonl") -> list[dict[str, Any]]:
    """Every line of a JSONL file, strictly: each must be complete JSON ending in a newline."""
    path = Path(run_dir) / name
    if not path.exists():
        return []
    data = path.read_bytes()
    assert not data or data.endswith(b"\n"), f"{path} ends with a torn line"
    return [json.loads(line) for line in data.splitlines() if line.strip()]


def snapshot(path: Path) -> dict[str, bytes]:
    """Every file under `path` (or the file itself) with its bytes, to show a failed command changed nothing."""
    path = Path(path)
    if path.is_file():
        return {path.name: path.read_bytes()}
    return {str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


def record_all_requests(srv: FaultServer) -> None:
    """Keep every request body the server sees (it keeps the last 50 by default)."""
    srv.recent = deque()


def resent_bodies(srv: FaultServer) -> int:
    """Requests whose exact body had been sent before: HTTP retries (a regeneration changes messages and seed)."""
    seen: set[str] = set()
    resent = 0
    for body in srv.recent:
        key = json.dumps(body, sort_keys=True)
        resent += key in seen
        seen.add(key)
    return resent
