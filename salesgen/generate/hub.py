"""Few-shot experience hub (GoalConvo): the best kept dialogues, drawn as exemplars for later salesperson prompts."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from salesgen.core.dialogue import KEPT, SALESPERSON, Dialogue
from salesgen.core.jsonl import JsonlWriter, read_jsonl

HUB_FILE = "hub.jsonl"  # in --hub DIR: exemplars that outlive a run
EXEMPLAR_EXCHANGES = 2  # exchanges shown per exemplar: enough for style, cheap in prompt tokens


@dataclass
class Exemplar:
    id: str
    score: float
    category: str
    personality: str
    variant: str
    lines: list[tuple[str, str]]  # (role, text)

    @classmethod
    def of(cls, d: Dialogue) -> Exemplar:
        lines = [(t.role, t.text) for t in d.turns[: 2 * EXEMPLAR_EXCHANGES]]
        return cls(d.id, float(d.score or 0), d.persona.category, d.persona.personality, d.variant, lines)


class Hub:
    """Keeps the top `per_key` exemplars per (category, personality); optionally persisted to a JSONL file."""

    def __init__(self, variant: str, per_key: int = 5, path: Path | None = None):
        self.variant, self.per_key = variant, per_key
        self.items: dict[tuple[str, str], list[Exemplar]] = {}
        self._writer: JsonlWriter | None = None
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            for rec in read_jsonl(path):
                if rec.get("variant") == variant:  # variants keep separate hubs so they don't leak into each other
                    self._insert(Exemplar(**{**rec, "lines": [tuple(x) for x in rec["lines"]]}))
            self._writer = JsonlWriter(path)

    def _insert(self, ex: Exemplar) -> None:
        bucket = self.items.setdefault((ex.category, ex.personality), [])
        if any(e.id == ex.id for e in bucket):
            return
        bucket.append(ex)
        bucket.sort(key=lambda e: (-e.score, e.id))
        del bucket[self.per_key:]

    def seed(self, dialogues: list[Dialogue]) -> None:
        """Rebuild from a run's kept dialogues (the run directory is the source of truth on resume)."""
        for d in dialogues:
            if d.variant == self.variant and d.status == KEPT:
                self._insert(Exemplar.of(d))

    def snapshot(self) -> list[dict]:
        return [ex.__dict__ for bucket in self.items.values() for ex in bucket]

    def add(self, d: Dialogue) -> None:
        ex = Exemplar.of(d)
        self._insert(ex)
        if self._writer is not None:
            self._writer.write(ex.__dict__)

    def pick(self, category: str, personality: str, k: int) -> list[Exemplar]:
        """Best exemplars of the same category, same personality first; other categories only to fill up."""
        same = self.items.get((category, personality), [])
        cat = sorted((e for (c, p), b in self.items.items() if c == category and p != personality for e in b),
                     key=lambda e: -e.score)
        rest = sorted((e for (c, _), b in self.items.items() if c != category for e in b), key=lambda e: -e.score)
        return (same + cat + rest)[:k]

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()


def render_exemplars(exemplars: list[Exemplar]) -> str:
    if not exemplars:
        return ""
    out = ["", "Examples of well-rated past conversations (for tone and flow only; their products, prices and "
                "facts do NOT apply here):"]
    for n, ex in enumerate(exemplars, 1):
        out.append(f"Example {n}:")
        out += [f"{'Salesperson' if role == SALESPERSON else 'Customer'}: {text}" for role, text in ex.lines]
    return "\n".join(out)
