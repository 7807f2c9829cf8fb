"""The sessions of a run in its manifest: when each ran, on which code, for how long.

A resumed run can span days and code changes; without this the manifest kept only the last session's wall time
and no commit, so a run's cost and provenance could not be read back from the run directory.
"""
from __future__ import annotations

import subprocess
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RUNNING, INTERRUPTED = "running", "interrupted"


def code_version(root: Path = ROOT) -> dict[str, Any]:
    """The checkout's commit and whether tracked files differ from it; {} outside a git checkout."""
    def git(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, timeout=10)
    try:
        head, status = git("rev-parse", "HEAD"), git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return {}
    if head.returncode or status.returncode:
        return {}
    return {"commit": head.stdout.strip(), "dirty": bool(status.stdout.strip())}


def _seconds(start: str, end: str) -> float | None:
    try:
        s = (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()
    except (TypeError, ValueError):
        return None
    return round(s, 2) if s >= 0 else None  # an end before the start: that session wrote nothing


def open_session(manifest: dict[str, Any], started: str, versions: dict[str, str], last_record: str = "") -> None:
    """Append this session. One still marked running was killed: it is closed as interrupted at the time of the
    last dialogue written (`last_record`), the latest end that can be known after a kill."""
    sessions = manifest.setdefault("sessions", [])
    if not sessions and manifest.get("created") and last_record:  # a run made before sessions were recorded
        sessions.append({"started": manifest["created"], "finished": last_record, "status": INTERRUPTED,
                         "code": {}, "note": "earlier sessions, not recorded one by one; idle gaps included"})
    for s in sessions:
        if s.get("status") == RUNNING:
            s.update(status=INTERRUPTED, finished=last_record, seconds=_seconds(s["started"], last_record),
                     until="last dialogue written")
    sessions.append({"started": started, "status": RUNNING, "code": code_version(), "versions": versions})


def close_session(manifest: dict[str, Any], finished: str, status: str, seconds: float) -> None:
    """Close this session and total the run's wall time over every session whose length is known."""
    sessions = manifest.setdefault("sessions", [])
    if sessions:
        sessions[-1].update(finished=finished, status=status, seconds=round(seconds, 2))
    known = [s["seconds"] for s in sessions if isinstance(s.get("seconds"), int | float)]
    timings = manifest.setdefault("timings", {})
    timings["last_session_seconds"] = round(seconds, 2)
    timings["sessions_timed"] = f"{len(known)} of {len(sessions)}"
    if len(known) == len(sessions):  # the run's wall time, which the report and bench read first
        timings["total"] = round(sum(known), 2)
    else:
        timings.pop("total", None)
