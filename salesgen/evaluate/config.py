"""Where the evaluation's data files live, and loading them: settings, rubric criteria, reference sets."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from salesgen.core.criteria import CRITERIA_FILE, Criterion
from salesgen.core.criteria import criteria as load_criteria
from salesgen.core.files import read_toml

PACKAGE = Path(__file__).resolve().parent
ROOT = PACKAGE.parent
DATA = ROOT / "data"
REFERENCES = DATA / "references"
SETTINGS_FILE = PACKAGE / "settings.toml"
SETS_FILE = REFERENCES / "sets.toml"
METRICS = "metrics.json"  # written into the run directory


@cache
def settings() -> dict[str, Any]:
    return read_toml(SETTINGS_FILE)


def criteria(path: Path | None = None) -> tuple[Criterion, ...]:
    return load_criteria(path or CRITERIA_FILE)


@dataclass(frozen=True)
class SetInfo:
    name: str
    label: str
    path: Path
    loader: str
    kind: str  # "human" or "llm"
    note: str = ""
    default: bool = False


@cache
def reference_sets() -> tuple[SetInfo, ...]:
    out = []
    for name, spec in read_toml(SETS_FILE).items():
        out.append(SetInfo(name=name, label=spec.get("label", name), path=REFERENCES / spec["path"],
                           loader=spec["loader"], kind=spec.get("kind", "human"), note=spec.get("note", ""),
                           default=bool(spec.get("default", False))))
    return tuple(out)


def default_reference() -> SetInfo:
    return next((s for s in reference_sets() if s.default), reference_sets()[0])
