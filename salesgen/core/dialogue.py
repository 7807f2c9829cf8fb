"""The data model every stage reads and writes: products, personas, turns, outcomes, verdicts, dialogues."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

SALESPERSON = "salesperson"
CUSTOMER = "customer"


def _build(cls, data: dict[str, Any]):
    """Construct a dataclass from a dict, ignoring unknown keys so old records stay readable."""
    names = {f.name for f in fields(cls)}
    return cls(**{k: v for k, v in data.items() if k in names})


@dataclass
class Product:
    id: str
    name: str
    category: str
    price: float  # list price / MSRP in USD
    specs: dict[str, Any] = field(default_factory=dict)
    features: list[str] = field(default_factory=list)
    policies: dict[str, str] = field(default_factory=dict)
    brand: str | None = None
    body_type: str | None = None  # cars only: the Car Dealer "type"
    min_price: float | None = None  # lowest price the salesperson may agree to (discount floor)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Product:
        return _build(cls, d)


@dataclass
class Persona:
    id: str
    name: str
    personality: str  # temperament, e.g. the Car Dealer "rude", "polite"
    category: str  # product category the customer shops in
    budget: float
    preferred_brand: str | None = None
    preferred_features: list[str] = field(default_factory=list)  # 1-4 must-haves
    preferred_type: str | None = None
    strategy: str = ""  # buyer strategy, e.g. "only buys with a discount"
    needs: str = ""  # free-text need, e.g. "a laptop for video editing"
    over_budget_ok: bool = False  # the persona says they may stretch past the budget

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Persona:
        return _build(cls, d)


@dataclass
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0  # prompt tokens served from the server's prompt cache
    calls: int = 0
    seconds: float = 0.0

    def add(self, other: Usage) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Usage:
        return _build(cls, d)


@dataclass
class Turn:
    role: str  # SALESPERSON or CUSTOMER
    text: str
    timestamp: str  # ISO 8601, UTC
    usage: Usage = field(default_factory=Usage)
    attempts: int = 1  # generations spent on this turn (validate-and-regenerate)
    notes: list[str] = field(default_factory=list)  # what the simulator repaired: trimmed, leakage removed...

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Turn:
        t = _build(cls, d)
        t.usage = Usage.from_dict(d.get("usage") or {})
        return t


@dataclass
class Outcome:
    bought: bool | None  # None: no decision could be obtained
    product_id: str | None = None
    product_name: str | None = None
    price: float | None = None
    raw: str = ""  # the model's decision text, kept when parsing fails
    error: str | None = None

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Outcome:
        return _build(cls, d)


@dataclass
class Gate:
    """One of the brief's hard requirements, passed or failed, with the turns that show it. A failed gate discards."""

    name: str  # one of judge.base.GATES
    passed: bool
    evidence: list[str] = field(default_factory=list)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Gate:
        return _build(cls, d)


@dataclass
class Verdict:
    judge: str
    score: float | None  # 0-1; None when the judge failed (see error), never a silent 0
    reason: str = ""
    evidence: list[str] = field(default_factory=list)
    veto: bool = False  # a failed gate: discards the dialogue whatever the scores
    error: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    gates: list[Gate] = field(default_factory=list)  # the gates this judge decides, passed or failed

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Verdict:
        v = _build(cls, d)
        v.gates = [Gate.from_dict(g) for g in d.get("gates") or []]
        return v


@dataclass
class LineFlaw:
    """What a judge finds wrong with a new line on its own: the simulator resamples or repairs it before keeping it,
    instead of losing the whole dialogue to a floor or a veto at the end."""

    rule: str  # the judge that objects
    reason: str
    sentence: str | None = None  # the one sentence at fault, when leaving it out cures the line


# A dialogue ends in exactly one of these.
KEPT, DISCARDED, FAILED = "kept", "discarded", "failed"


@dataclass
class Dialogue:
    id: str
    index: int  # attempt number within the run; with the seed it fixes persona and product
    persona: Persona
    product: Product | None  # the product in play; None for imported data without a product record
    turns: list[Turn] = field(default_factory=list)
    outcome: Outcome | None = None
    verdicts: list[Verdict] = field(default_factory=list)
    score: float | None = None  # the quality score: the mean of the rubric's criteria (data/judge/criteria.toml)
    criteria: dict[str, float] = field(default_factory=dict)  # criterion name -> 0-1, from the judges that feed it
    gates: dict[str, bool] = field(default_factory=dict)  # gate name -> passed, over every judge that decides it
    status: str = ""  # KEPT / DISCARDED / FAILED
    reasons: list[str] = field(default_factory=list)  # why discarded or failed
    variant: str = ""
    model: str = ""
    seed: int = 0
    usage: Usage = field(default_factory=Usage)
    timing: dict[str, float] = field(default_factory=dict)  # seconds: generate, judge
    started: str = ""
    finished: str = ""
    source: str = "generated"  # or the file a judged dataset came from
    extra: dict[str, Any] = field(default_factory=dict)

    def exchanges(self) -> list[tuple[Turn | None, Turn | None]]:
        """Pair each salesperson turn with the customer turn that answers it."""
        pairs: list[tuple[Turn | None, Turn | None]] = []
        for t in self.turns:
            if t.role == SALESPERSON or not pairs or pairs[-1][1] is not None:
                pairs.append((t, None) if t.role == SALESPERSON else (None, t))
            else:
                pairs[-1] = (pairs[-1][0], t)
        return pairs

    def with_line(self, role: str, text: str) -> Dialogue:
        """A copy with `text` said by `role` as the next turn: a candidate line, as the judges read it before it is
        kept."""
        return replace(self, turns=[*self.turns, Turn(role=role, text=text, timestamp="")])

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Dialogue:
        dlg = _build(cls, d)
        dlg.persona = Persona.from_dict(d["persona"])
        dlg.product = Product.from_dict(d["product"]) if d.get("product") else None
        dlg.turns = [Turn.from_dict(t) for t in d.get("turns") or []]
        dlg.outcome = Outcome.from_dict(d["outcome"]) if d.get("outcome") else None
        dlg.verdicts = [Verdict.from_dict(v) for v in d.get("verdicts") or []]
        dlg.usage = Usage.from_dict(d.get("usage") or {})
        return dlg


# The flaws of a dialogue's last turn (the candidate line); built by the judge panel, called by the simulator.
LineCheck = Callable[[Dialogue], list[LineFlaw]]
