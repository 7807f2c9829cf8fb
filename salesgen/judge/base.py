"""What every judge shares: the options it sees, the context it is built with, and the registry by name."""
from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from salesgen.core.catalog import Catalog
from salesgen.core.dialogue import Dialogue, Gate, LineFlaw, Verdict

if TYPE_CHECKING:
    from salesgen.judge.resources import Resources
    from salesgen.llm.base import ChatModel

DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "judge"

# The brief's hard requirements: a judge that decides one returns it passed or failed with the turns that show it,
# and one failed gate discards the dialogue whatever its quality score. These are any dialogue's; a scenario adds
# its own with its judges (add_judges).
GATES = {
    "band": "every turn within the word band",
    "exchanges": "the salesperson opens, the sides alternate, within the exchange limit",
    "roles": "no words of the other role inside a turn, labelled or not",
    "toxicity": "no toxic or stereotyping salesperson sentence",
    "abuse": "no slur or personal attack from anyone",
    "form": "no empty turn",
}


@dataclass
class PanelOptions:
    min_words: int | None = 50  # None: imported data whose turns were never held to a length
    max_words: int | None = 75
    max_exchanges: int | None = 5
    llm: ChatModel | None = None  # the judge model; the LLM judge is skipped without one
    use_llm_judge: bool = True
    toxicity: str = "profanity-check"  # or "detoxify" (needs a local checkpoint, see judge/resources.py)
    weights_path: Path | str | None = None  # default data/judge/weights.toml
    detoxify_checkpoint: Path | str | None = None  # overrides $SALESGEN_DETOXIFY_CHECKPOINT
    llm_concurrency: int = 4  # LLM judge calls in flight across dialogues
    # Skip the model-served judges on a dialogue the rules already discard (a veto or a floor breach): their
    # verdict could not keep it, and on a small local model the LLM judge costs as much as a third of a dialogue.
    cascade: bool = True


@dataclass
class JudgeContext:
    catalog: Catalog
    options: PanelOptions
    resources: Resources
    params: dict[str, Any] = field(default_factory=dict)  # the judge's own table in weights.toml


class Judge:
    """A criterion. Subclasses set `name`, list the shared models they need, and implement `judge`.

    `judge` returns None when the criterion does not apply to this dialogue (e.g. word limits on imported
    data); the panel then leaves it out rather than scoring it.
    """

    name: ClassVar[str] = ""
    needs: ClassVar[tuple[str, ...]] = ()  # resource names loaded once per panel: embedder, profanity, ...
    is_async: ClassVar[bool] = False
    needs_llm: ClassVar[bool] = False  # asks the judge model (PanelOptions.llm); skipped without one

    def __init__(self, ctx: JudgeContext):
        self.ctx = ctx

    def param(self, key: str, default: Any) -> Any:
        return self.ctx.params.get(key, default)

    def judge(self, dialogue: Dialogue) -> Verdict | None:
        raise NotImplementedError

    async def ajudge(self, dialogue: Dialogue) -> Verdict | None:
        return self.judge(dialogue)

    def line_flaws(self, dialogue: Dialogue) -> list[LineFlaw]:
        """What in the dialogue's last turn alone would cost this criterion its floor or a veto. The simulator asks
        before it keeps a line; the default is nothing (criteria that need the whole dialogue to tell)."""
        return []

    def describe(self) -> dict[str, Any]:
        return {}


_REGISTRY: dict[str, type[Judge]] = {}


def register(cls: type[Judge]) -> type[Judge]:
    """Class decorator: makes a judge available under its `name` to weights.toml."""
    if not cls.name:
        raise ValueError(f"{cls.__qualname__} has no name")
    if cls.name in _REGISTRY and _REGISTRY[cls.name] is not cls:
        raise ValueError(f"two judges are named {cls.name!r}")
    _REGISTRY[cls.name] = cls
    return cls


_PACKAGES = [f"{__package__}.judges"]  # the generic judges; a scenario adds its own package


def add_judges(package: str, gates: dict[str, str]) -> None:
    """A scenario's judges (one per file in `package`, each with @register) and the gates they decide."""
    for name, meaning in gates.items():
        if GATES.get(name, meaning) != meaning:
            raise ValueError(f"two meanings for the gate {name!r}")
        GATES[name] = meaning
    if package not in _PACKAGES:
        _PACKAGES.append(package)


def registry() -> dict[str, type[Judge]]:
    """Every judge in the judge packages, imported on first use so a new judge is just a new file."""
    for name in _PACKAGES:
        pkg = importlib.import_module(name)
        for mod in pkgutil.iter_modules(pkg.__path__):
            importlib.import_module(f"{pkg.__name__}.{mod.name}")
    return dict(_REGISTRY)


def gate(name: str, failures: list[str]) -> Gate:
    """A gate that fails when there is evidence against it."""
    if name not in GATES:
        raise ValueError(f"unknown gate {name!r}")
    return Gate(name, not failures, list(failures))


def verdict(name: str, score: float, reason: str, evidence: list[str] | None = None,
            gates: list[Gate] | None = None, **details: Any) -> Verdict:
    """A Verdict with the score rounded for readable records; a failed gate makes it a veto."""
    gates = list(gates or [])
    return Verdict(judge=name, score=round(max(0.0, min(1.0, score)), 4), reason=reason,
                   evidence=list(evidence or []), veto=any(not g.passed for g in gates), details=details,
                   gates=gates)
