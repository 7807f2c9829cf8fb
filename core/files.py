"""Reading the project's data files (TOML, JSON): any problem is one InputError naming the file and the line."""
from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

from core.errors import InputError


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
