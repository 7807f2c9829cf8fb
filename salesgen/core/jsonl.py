"""Append-only JSONL that survives a crash: each record is flushed and fsynced; a torn last line is dropped."""
from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from salesgen.core.errors import InputError


class JsonlWriter:
    """Appends one JSON object per line, durable as soon as `write` returns."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._repair_tail()
        self._fh = open(self.path, "a", encoding="utf-8")

    def _repair_tail(self) -> None:
        # A kill -9 mid-write leaves a last line without its newline: cut it so the next record starts clean.
        # A last line that is complete JSON lacking only its newline was read as a finished record (read_jsonl),
        # so it is completed, not cut: cutting it would lose a record the resuming run counts as done.
        if not self.path.exists() or self.path.stat().st_size == 0:
            return
        with open(self.path, "rb+") as fh:
            size = fh.seek(0, os.SEEK_END)
            start = max(0, size - 1)
            fh.seek(start)
            if fh.read(1) == b"\n":
                return
            while start > 0:  # find the start of the last line without reading the whole file
                step = min(start, 1 << 16)
                fh.seek(start - step)
                chunk = fh.read(step)
                nl = chunk.rfind(b"\n")
                if nl >= 0:
                    start = start - step + nl + 1
                    break
                start -= step
            fh.seek(start)
            tail = fh.read()
            if _parses(tail):
                fh.write(b"\n")
            else:
                fh.truncate(start)
            fh.flush()
            os.fsync(fh.fileno())

    def write(self, record: dict[str, Any]) -> None:
        self._fh.write(json.dumps(record, ensure_ascii=False) + "\n")
        self._fh.flush()
        os.fsync(self._fh.fileno())

    def close(self) -> None:
        self._fh.close()

    def __enter__(self) -> JsonlWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _parses(line: bytes) -> bool:
    try:
        json.loads(line)
        return True
    except (json.JSONDecodeError, UnicodeDecodeError):
        return False


def read_jsonl(path: Path, strict: bool = False) -> Iterator[dict[str, Any]]:
    """Yield records; a torn (unterminated, unparsable) last line is skipped, any other bad line is an error."""
    for _, record in scan_jsonl(path, strict):
        yield record


def scan_jsonl(path: Path, strict: bool = False) -> Iterator[tuple[int, dict[str, Any]]]:
    """Like read_jsonl, with each record's byte offset, so a caller can keep offsets instead of records."""
    path = Path(path)
    if not path.exists():
        return
    # Streamed, and in bytes: a kill can also split a multi-byte UTF-8 character at the end of the file.
    with open(path, "rb") as fh:
        offset = 0
        for n, line in enumerate(fh, 1):
            start, offset = offset, offset + len(line)
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except (json.JSONDecodeError, UnicodeDecodeError) as e:
                torn = not line.endswith(b"\n")  # only the last line can lack its newline
                if torn and not strict:
                    continue
                why = e.msg if isinstance(e, json.JSONDecodeError) else "not UTF-8"
                raise InputError(f"{path}: line {n} is not valid JSON ({why}).") from None
            yield start, record


def read_at(path: Path, offset: int) -> dict[str, Any]:
    """The record on the line starting at `offset` (from scan_jsonl)."""
    with open(path, "rb") as fh:
        fh.seek(offset)
        return json.loads(fh.readline())
