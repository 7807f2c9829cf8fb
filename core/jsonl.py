"""Append-only JSONL that survives a crash: each record is flushed and fsynced; a torn last line is dropped."""
from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from core.errors import InputError


class JsonlWriter:
    """Appends one JSON object per line, durable as soon as `write` returns."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._repair_tail()
        self._fh = open(self.path, "a", encoding="utf-8")

    def _repair_tail(self) -> None:
        # A kill -9 mid-write leaves a last line without its newline: cut it so the next record starts clean.
        if not self.path.exists() or self.path.stat().st_size == 0:
            return
        with open(self.path, "rb+") as fh:
            data = fh.read()
            if data.endswith(b"\n"):
                return
            cut = data.rfind(b"\n") + 1
            fh.truncate(cut)

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


def read_jsonl(path: Path, strict: bool = False) -> Iterator[dict[str, Any]]:
    """Yield records; a torn (unterminated, unparsable) last line is skipped, any other bad line is an error."""
    path = Path(path)
    if not path.exists():
        return
    with open(path, encoding="utf-8") as fh:
        lines = fh.readlines()
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            yield json.loads(line)
        except json.JSONDecodeError as e:
            torn = n == len(lines) and not line.endswith("\n")
            if torn and not strict:
                continue
            raise InputError(f"{path}: line {n} is not valid JSON ({e.msg}).") from None
