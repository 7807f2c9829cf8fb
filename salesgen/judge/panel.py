"""The panel: runs every configured judge on a dialogue; a failed gate discards, then the quality score (the mean of
the rubric's criteria) must reach --min-score."""
from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from statistics import fmean
from typing import Any

from salesgen.core.catalog import Catalog
from salesgen.core.criteria import criteria, criterion_of
from salesgen.core.dialogue import DISCARDED, KEPT, Dialogue, LineFlaw, Verdict
from salesgen.core.errors import InputError
from salesgen.core.files import read_toml
from salesgen.judge.base import DATA_DIR, Judge, JudgeContext, PanelOptions, registry
from salesgen.judge.resources import Resources, file_sha256

__all__ = ["Panel", "PanelOptions", "load_weights"]

log = logging.getLogger(__name__)
DEFAULT_WEIGHTS = DATA_DIR / "weights.toml"
_RESERVED = {"weight", "enabled", "floor"}


@dataclass
class _Entry:
    judge: Judge
    weight: float
    floor: float = 0.0  # a score below this discards whatever the mean: one bad criterion is not averaged away


def load_weights(path: Path | str | None = None) -> tuple[Path, dict[str, dict[str, Any]]]:
    """The [judges.NAME] tables of a weights file, checked against the registry."""
    path = Path(path) if path else DEFAULT_WEIGHTS
    raw = read_toml(path, "Judge weights file ")
    tables = raw.get("judges")
    if not isinstance(tables, dict) or not tables:
        raise InputError(f"Judge weights file {path} needs at least one [judges.NAME] table.")
    known = registry()
    for name, table in tables.items():
        if name not in known:
            raise InputError(f"Judge weights file {path} names an unknown judge {name!r} "
                             f"(known: {', '.join(sorted(known))}).")
        w = table.get("weight") if isinstance(table, dict) else None
        if not isinstance(w, int | float) or isinstance(w, bool) or w < 0:
            raise InputError(f"Judge weights file {path}: [judges.{name}] needs a weight >= 0.")
        floor = table.get("floor", 0.0)
        if not isinstance(floor, int | float) or isinstance(floor, bool) or not 0 <= floor <= 1:
            raise InputError(f"Judge weights file {path}: [judges.{name}] floor must be between 0 and 1.")
    return path, tables


class Panel:
    """Build once per run (models load here, once), then `await panel.judge(dialogue, min_score)` per dialogue."""

    def __init__(self, entries: list[_Entry], resources: Resources, options: PanelOptions, weights_path: Path,
                 skipped: dict[str, str], catalog: Catalog):
        self.entries = entries
        self.catalog = catalog
        self.resources = resources
        self.options = options
        self.weights_path = weights_path
        self.skipped = skipped  # judge name -> why it is not running
        self._gates: dict[int, asyncio.Semaphore] = {}  # one per event loop: a semaphore is bound to its loop

    @classmethod
    def build(cls, catalog: Catalog, options: PanelOptions | None = None, *, load_models: bool = True,
              resources: Resources | None = None) -> Panel:
        """Judges from the weights file; `resources` lets several panels share models already loaded."""
        options = options or PanelOptions()
        path, tables = load_weights(options.weights_path)
        known = registry()
        if resources is None or resources.toxicity_backend != options.toxicity:
            resources = Resources(options.toxicity, options.detoxify_checkpoint, catalog.words())
        entries, skipped = [], {}
        for name, table in tables.items():
            if table.get("enabled", True) is False:
                skipped[name] = "disabled in the weights file"
                continue
            cls_ = known[name]
            if cls_.needs_llm and not (options.use_llm_judge and options.llm is not None):
                skipped[name] = "turned off (--no-llm-judge)" if not options.use_llm_judge else "no judge model given"
                continue
            params = {k: v for k, v in table.items() if k not in _RESERVED}
            entries.append(_Entry(cls_(JudgeContext(catalog, options, resources, params)), float(table["weight"]),
                                  float(table.get("floor", 0.0))))
        if load_models:
            # Load now so a missing model fails the run at start, not on the first dialogue.
            resources.load(sorted({n for e in entries for n in e.judge.needs}))
        return cls(entries, resources, options, path, skipped, catalog)

    @property
    def names(self) -> list[str]:
        return [e.judge.name for e in self.entries]

    def _run_sync(self, dialogue: Dialogue) -> list[Verdict | None]:
        return [self._guard(e.judge, dialogue) for e in self.entries if not e.judge.is_async]

    @staticmethod
    def _guard(judge: Judge, dialogue: Dialogue) -> Verdict | None:
        try:
            return judge.judge(dialogue)
        except Exception as e:  # a judge bug must not lose the dialogue, nor pass as a score
            log.exception("judge %s failed on dialogue %s", judge.name, dialogue.id)
            return Verdict(judge=judge.name, score=None, reason="the judge failed", error=f"{type(e).__name__}: {e}")

    async def _run_async(self, judge: Judge, dialogue: Dialogue) -> Verdict | None:
        loop_id = id(asyncio.get_running_loop())
        gate = self._gates.setdefault(loop_id, asyncio.Semaphore(max(1, self.options.llm_concurrency)))
        async with gate:
            try:
                return await judge.ajudge(dialogue)
            except Exception as e:
                log.exception("judge %s failed on dialogue %s", judge.name, dialogue.id)
                return Verdict(judge=judge.name, score=None, reason="the judge failed",
                               error=f"{type(e).__name__}: {e}")

    async def judge(self, dialogue: Dialogue, min_score: float) -> Dialogue:
        """Fill verdicts, score, status (KEPT/DISCARDED) and reasons; returns the same dialogue."""
        t0 = time.perf_counter()
        async_entries = [e for e in self.entries if e.judge.is_async]
        # CPU-bound judges run in a worker thread so a generation loop sharing the event loop keeps moving.
        sync_task = asyncio.to_thread(self._run_sync, dialogue)
        if self.options.cascade and async_entries:
            ruled = [v for v in await sync_task if v is not None]
            certain = self.hard_reasons(ruled)
            if certain:
                why = f"not run: the rules already discard this dialogue ({certain[0].split(':', 1)[0]})"
                skipped = [Verdict(judge=e.judge.name, score=None, reason=why, details={"skipped": True})
                           for e in async_entries]
                results: list[Any] = [ruled, *skipped]
            else:
                results = [ruled, *await asyncio.gather(*(self._run_async(e.judge, dialogue) for e in async_entries))]
        else:
            results = await asyncio.gather(sync_task, *(self._run_async(e.judge, dialogue) for e in async_entries))
        by_name = {v.judge: v for v in results[0] + list(results[1:]) if v is not None}
        self.combine(dialogue, [by_name[n] for n in self.names if n in by_name], min_score)
        dialogue.timing["judge"] = round(time.perf_counter() - t0, 4)
        return dialogue

    def line_flaws(self, dialogue: Dialogue) -> list[LineFlaw]:
        """The rule-based judges' objections to the dialogue's last turn (the simulator's candidate line)."""
        return [f for e in self.entries if not e.judge.is_async for f in e.judge.line_flaws(dialogue)]

    def hard_reasons(self, verdicts: list[Verdict]) -> list[str]:
        """What discards the dialogue whatever its quality score: failed gates first, then floor breaches."""
        floors = {e.judge.name: e.floor for e in self.entries}
        reasons = [f"gate {g.name} ({v.judge}): {g.evidence[0] if g.evidence else v.reason}"
                   for v in verdicts for g in v.gates if not g.passed]
        # A veto without a gate comes from a record written before gates (or a judge of another scenario).
        reasons += [f"{v.judge} veto: {v.reason}" for v in verdicts if v.veto and not v.gates]
        reasons += [f"{v.judge} {v.score:.2f} below its floor {floors.get(v.judge, 0.0):g}: {v.reason}"
                    for v in verdicts if not v.veto and v.score is not None and v.score < floors.get(v.judge, 0.0)]
        return reasons

    def combine(self, dialogue: Dialogue, verdicts: list[Verdict], min_score: float) -> None:
        """Gates, then the quality score: the mean of the rubric's criteria, each the weighted mean of the judges
        that feed it (data/judge/criteria.toml; a judge's weight from the weights file)."""
        weights = {e.judge.name: e.weight for e in self.entries}
        gates: dict[str, bool] = {}
        for v in verdicts:
            for g in v.gates:
                gates[g.name] = gates.get(g.name, True) and g.passed
        found = {c.name: s for c in criteria() if (s := criterion_of(verdicts, c, weights)) is not None}
        score = fmean(found.values()) if found else None
        errors = [v for v in verdicts if v.error]
        dialogue.verdicts, dialogue.gates = verdicts, gates
        dialogue.criteria = {k: round(v, 4) for k, v in found.items()}
        dialogue.score = round(score, 4) if score is not None else None
        floors = {e.judge.name: e.floor for e in self.entries}
        reasons = self.hard_reasons(verdicts)
        if score is None:
            reasons.append("no judge produced a score")
        elif score < min_score:
            reasons.append(f"score {score:.2f} below --min-score {min_score:g}")
        keep = not reasons
        if not keep:
            # Say which criteria pulled the score down, weakest first, and which judges could not answer.
            weak = sorted((v for v in verdicts if v.score is not None and weights.get(v.judge, 0.0) > 0
                           and floors.get(v.judge, 0.0) <= v.score < min_score and not v.veto),
                          key=lambda v: v.score)
            reasons += [f"{v.judge} {v.score:.2f}: {v.reason}" for v in weak]
            reasons += [f"{v.judge} error: {v.error}" for v in errors]
        dialogue.status = KEPT if keep else DISCARDED
        dialogue.reasons = reasons

    def describe(self) -> dict[str, Any]:
        """What judged this run, for the manifest: judges, weights, parameters, model names and hashes."""
        o = self.options
        return {
            "weights_file": str(self.weights_path),
            "weights_sha256": file_sha256(self.weights_path),
            "judges": [{"name": e.judge.name, "weight": e.weight, "params": e.judge.ctx.params,
                        **e.judge.describe()} for e in self.entries],
            "skipped": self.skipped,
            "models": dict(self.resources.info),
            "options": {"min_words": o.min_words, "max_words": o.max_words, "max_exchanges": o.max_exchanges,
                        "toxicity": o.toxicity, "use_llm_judge": o.use_llm_judge, "cascade": o.cascade,
                        "llm": getattr(o.llm, "name", None) if o.llm is not None else None},
        }
