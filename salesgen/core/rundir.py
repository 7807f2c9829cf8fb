"""The run directory: where every stage writes what it produces, as it produces it."""
from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from salesgen.core.dialogue import Dialogue
from salesgen.core.errors import InputError
from salesgen.core.jsonl import JsonlWriter, read_at, read_jsonl, scan_jsonl

DIALOGUES = "dialogues.jsonl"  # every finished dialogue: kept, discarded or failed
DISCARDED = "discarded.jsonl"  # id, score and reasons of each discarded or failed dialogue
MANIFEST = "manifest.json"
CSV = "sales_conversations.csv"
CAR_DEALER = "car_dealer.json"
REPORT = "report.html"


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def default_run_dir(root: Path = Path("runs")) -> Path:
    return root / datetime.now().strftime("%Y%m%d-%H%M%S")


@contextmanager
def atomic_file(path: Path, binary: bool = False) -> Iterator[IO[Any]]:
    """A file written in pieces that readers see whole or not at all: the pieces go to a temporary file beside it,
    which replaces `path` only when the block ends without an error."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") if binary else os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes files private; outputs are meant to be shared
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_atomic(path: Path, text: str) -> None:
    """Write a whole file so that readers see the old or the new content, never half of it."""
    with atomic_file(path) as fh:
        fh.write(text)


class RunDir:
    def __init__(self, path: Path):
        self.path = Path(path)

    def file(self, name: str) -> Path:
        return self.path / name

    @classmethod
    def create(cls, path: Path) -> RunDir:
        """A new run: the directory must be empty or absent and writable."""
        path = Path(path)
        if path.exists() and not path.is_dir():
            raise InputError(f"Output path {path} exists and is not a directory.")
        if path.is_dir() and any(path.iterdir()):
            what = "another run" if (path / MANIFEST).exists() else "other files"
            raise InputError(f"Output directory {path} already holds {what}; choose a new --out or use --resume.")
        try:
            path.mkdir(parents=True, exist_ok=True)
            probe = path / ".write-test"
            probe.write_text("")
            probe.unlink()
        except OSError as e:
            raise InputError(f"Output directory {path} cannot be written ({e.strerror}).") from None
        return cls(path)

    @classmethod
    def open(cls, path: Path) -> RunDir:
        """An existing run, for --resume, evaluate and report."""
        path = Path(path)
        if not (path / MANIFEST).is_file():
            raise InputError(f"{path} is not a run directory (no {MANIFEST}).")
        return cls(path)

    def manifest(self) -> dict[str, Any]:
        try:
            return json.loads(self.file(MANIFEST).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as e:
            raise InputError(f"{self.file(MANIFEST)} cannot be read ({e}).") from None

    def write_manifest(self, data: dict[str, Any]) -> None:
        write_atomic(self.file(MANIFEST), json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")

    def dialogues(self) -> list[Dialogue]:
        """Every finished dialogue; the last record wins if an id was written twice."""
        by_id: dict[str, Dialogue] = {}
        for rec in read_jsonl(self.file(DIALOGUES)):
            d = Dialogue.from_dict(rec)
            by_id[d.id] = d
        return list(by_id.values())

    def scan(self) -> Iterator[tuple[int, dict[str, Any]]]:
        """(byte offset, record) of every line of dialogues.jsonl, streamed; duplicates are the caller's to drop."""
        return scan_jsonl(self.file(DIALOGUES))

    def dialogue_at(self, offset: int) -> Dialogue:
        return Dialogue.from_dict(read_at(self.file(DIALOGUES), offset))

    def has_dialogues(self) -> bool:
        return next(iter(self.scan()), None) is not None

    def writer(self, name: str) -> JsonlWriter:
        return JsonlWriter(self.file(name))
