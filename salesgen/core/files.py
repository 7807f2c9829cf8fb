"""Reading the project's data files (TOML, JSON, CSV): any problem is one InputError naming the file and the line."""
from __future__ import annotations

import csv
import json
import tomllib
from pathlib import Path
from typing import Any

from salesgen.core.errors import InputError


def read_text(path: Path, what: str = "") -> str:
    """`what` names the kind of file for the message, e.g. "Catalog file "."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as e:
        raise InputError(f"{what}{path} cannot be read ({e.strerror}).") from None
    except UnicodeDecodeError:
        raise InputError(f"{what}{path} is not UTF-8 text.") from None


def read_toml(path: Path, what: str = "") -> dict[str, Any]:
    try:
        return tomllib.loads(read_text(path, what))
    except tomllib.TOMLDecodeError as e:  # its message carries "(at line N, column M)"
        raise InputError(f"{what}{path} is not valid TOML ({e}).") from None


def read_json(path: Path, what: str = "") -> Any:
    try:
        return json.loads(read_text(path, what))
    except json.JSONDecodeError as e:
        raise InputError(f"{what}{path} is not valid JSON (line {e.lineno}: {e.msg}).") from None


def read_csv_rows(path: Path, columns: tuple[str, ...], what: str = "") -> list[dict[str, str]]:
    """A CSV's rows as dicts by header; it must have the `columns` (`what` names them for the message, e.g. "the
    PersuasionForGood columns")."""
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
    except OSError as e:
        raise InputError(f"{path} cannot be read ({e.strerror}).") from None
    except (csv.Error, UnicodeDecodeError) as e:
        raise InputError(f"{path} is not a readable CSV ({e}).") from None
    if not rows or not set(columns) <= set(rows[0]):
        raise InputError(f"{path} needs {what or 'the columns'} {_listed(columns)}.")
    return rows


def _listed(names: tuple[str, ...]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
