"""Where the evaluation's data files live, and loading them: settings, rubric criteria, reference sets."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from core.errors import InputError
from core.files import read_toml

PACKAGE = Path(__file__).resolve().parent
ROOT = PACKAGE.parent
DATA = ROOT / "data"
REFERENCES = DATA / "references"
SETTINGS_FILE = PACKAGE / "settings.toml"
CRITERIA_FILE = PACKAGE / "criteria.toml"
SETS_FILE = REFERENCES / "sets.toml"
METRICS = "metrics.json"  # written into the run directory


@cache
def settings() -> dict[str, Any]:
    return read_toml(SETTINGS_FILE)


@dataclass(frozen=True)
class Source:
    judge: str
    details: tuple[str, ...] = ()  # dotted paths into Verdict.details; the first that holds a number is used
    scale: tuple[float, float] | None = None  # maps a detail score from this range onto 0-1

    def label(self) -> str:
        return f"{self.judge}.{self.details[0]}" if self.details else self.judge


@dataclass(frozen=True)
class Criterion:
    name: str
    label: str
    sources: tuple[Source, ...] = field(default_factory=tuple)


@cache
def criteria(path: Path = CRITERIA_FILE) -> tuple[Criterion, ...]:
    out = []
    for name, spec in read_toml(path).items():
        if not isinstance(spec, dict) or not isinstance(spec.get("sources"), list):
            raise InputError(f"{path}: criterion \"{name}\" needs a \"sources\" list.")
        sources = []
        for s in spec["sources"]:
            if not isinstance(s, dict) or not isinstance(s.get("judge"), str):
                raise InputError(f"{path}: every source of \"{name}\" needs a \"judge\" name.")
            scale, detail = s.get("scale"), s.get("detail") or ()
            paths = (detail,) if isinstance(detail, str) else tuple(detail)
            sources.append(Source(s["judge"], paths, tuple(scale) if scale else None))
        out.append(Criterion(name, spec.get("label", name), tuple(sources)))
    return tuple(out)


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
