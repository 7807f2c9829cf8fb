"""The run's export formats, by name (`--format`): each writes its files from the kept dialogues, streamed (one
dialogue in memory at a time, whatever the run's size) and atomically (a reader sees the old file or the new one).
A new format is one writer and one line in EXPORTS."""
from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from statistics import mean
from string import Template
from typing import Any

from salesgen.core.dialogue import Dialogue
from salesgen.core.errors import InputError
from salesgen.core.formats import write_car_dealer, write_csv
from salesgen.core.rundir import CAR_DEALER, CSV, atomic_file

CARD = Path(__file__).resolve().parent.parent / "data" / "dataset_card.md"
# kept: a fresh iterator over the kept dialogues at each call; info: the run's manifest and summary.
Writer = Callable[[Path, Callable[[], Iterator[Dialogue]], dict[str, Any]], None]


@dataclass(frozen=True)
class Export:
    name: str
    files: tuple[str, ...]  # relative to the run directory
    help: str
    write: Writer


def _csv(run: Path, kept: Callable[[], Iterator[Dialogue]], info: dict[str, Any]) -> None:
    write_csv(run / CSV, kept())


def _car_dealer(run: Path, kept: Callable[[], Iterator[Dialogue]], info: dict[str, Any]) -> None:
    write_car_dealer(run / CAR_DEALER, kept())  # cars only


def _jsonl(run: Path, kept: Callable[[], Iterator[Dialogue]], info: dict[str, Any]) -> None:
    with atomic_file(run / "kept.jsonl") as fh:
        for d in kept():
            fh.write(json.dumps(d.to_dict(), ensure_ascii=False) + "\n")


def _parquet(run: Path, kept: Callable[[], Iterator[Dialogue]], info: dict[str, Any]) -> None:
    from salesgen.core.parquet import write_parquet  # pyarrow loads only when asked for

    write_parquet(run / "dialogues.parquet", run / "turns.parquet", kept())


def _hf(run: Path, kept: Callable[[], Iterator[Dialogue]], info: dict[str, Any]) -> None:
    from salesgen.core.parquet import DIALOGUE_SCHEMA, TURN_SCHEMA, features_yaml, write_parquet

    data = run / "hf" / "data"
    data.mkdir(parents=True, exist_ok=True)
    scores: list[float] = []
    criteria: dict[str, list[float]] = {}

    def counted() -> Iterator[Dialogue]:  # the judge's figures for the card, gathered on the way
        for d in kept():
            if d.score is not None:
                scores.append(d.score)
            for k, v in d.criteria.items():
                criteria.setdefault(k, []).append(v)
            yield d

    n = write_parquet(data / "dialogues.parquet", data / "turns.parquet", counted())
    card = dataset_card(info, n, scores, criteria, features_yaml(DIALOGUE_SCHEMA), features_yaml(TURN_SCHEMA))
    with atomic_file(run / "hf" / "README.md") as fh:
        fh.write(card)


def dataset_card(info: dict[str, Any], n: int, scores: list[float], criteria: dict[str, list[float]],
                 dialogue_features: str, turn_features: str) -> str:
    """The Hugging Face dataset card (data/dataset_card.md) filled in from the run."""
    m, s = info.get("manifest") or {}, info.get("summary") or {}
    cfg, model = m.get("config") or {}, m.get("model") or {}
    commit = ((m.get("sessions") or [{}])[-1].get("code") or {}).get("commit") or "unknown"
    judge = (f"mean score of the kept {mean(scores):.3f} (lowest {min(scores):.3f}); criteria means: "
             + ", ".join(f"{k} {mean(v):.2f}" for k, v in sorted(criteria.items())) + "." if scores
             else "no kept dialogue has a score.")
    reasons = s.get("discard_reasons") or {}
    size = "n<1K" if n < 1000 else "1K<n<10K" if n < 10_000 else "10K<n<100K"
    return Template(CARD.read_text(encoding="utf-8")).substitute(
        size=size, dialogue_features=dialogue_features, turn_features=turn_features, kept=n,
        attempted=s.get("attempted", n), min_score=cfg.get("min_score", ""), max_exchanges=cfg.get("max_exchanges"),
        min_words=cfg.get("min_words"), max_words=cfg.get("max_words"),
        model=model.get("model") or cfg.get("model") or "unknown", model_kind=model.get("kind") or "unknown",
        policy=cfg.get("policy"), scenario=cfg.get("scenario"), seed=cfg.get("seed"),
        temperature=cfg.get("temperature"), top_p=cfg.get("top_p"), commit=commit, created=m.get("created", ""),
        judge_line=judge, reasons="; ".join(f"{k} {v}" for k, v in reasons.items()) or "none")


EXPORTS: dict[str, Export] = {e.name: e for e in (
    Export("csv", (CSV,), "Salesman, User, Timestamp: one row per exchange", _csv),
    Export("car-dealer", (CAR_DEALER,), "the LMRL-Gym Car Dealer JSON of the car dialogues", _car_dealer),
    Export("jsonl", ("kept.jsonl",), "the kept dialogues' full records (dialogues.jsonl holds every attempt)",
           _jsonl),
    Export("parquet", ("dialogues.parquet", "turns.parquet"),
           "one row per dialogue with its turns nested, and one row per turn", _parquet),
    Export("hf", ("hf/README.md", "hf/data/dialogues.parquet", "hf/data/turns.parquet"),
           "a Hugging Face dataset folder: the Parquet files and a dataset card", _hf),
)}
DEFAULT_FORMATS = ("csv", "car-dealer")


def parse_formats(text: str) -> list[str]:
    """"csv,parquet" → ["csv", "parquet"]; "all" → every format."""
    names = [x.strip() for x in text.split(",") if x.strip()]
    if names == ["all"]:
        return list(EXPORTS)
    unknown = [x for x in names if x not in EXPORTS]
    if unknown or not names:
        raise InputError(f"--format {text!r}: choose among {', '.join(EXPORTS)} or all, separated by commas.")
    return list(dict.fromkeys(names))
