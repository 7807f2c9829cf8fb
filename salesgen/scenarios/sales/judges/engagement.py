"""Engagement: did the salesperson ask about needs before pitching, refer back to the customer, and give
specifics (numbers, features, terms) rather than filler."""
from __future__ import annotations

import re
import tomllib

from salesgen.core.dialogue import CUSTOMER, SALESPERSON, Dialogue, Product, Verdict
from salesgen.core.mentions import norm
from salesgen.core.words import sentences
from salesgen.judge.base import DATA_DIR, Judge, JudgeContext, register, verdict
from salesgen.judge.text import clamp, content_words, mean, quote, where
from salesgen.scenarios.sales.claims import claim_extractor, numbers_with_units
from salesgen.scenarios.sales.prices import find_money


@register
class Engagement(Judge):
    name = "engagement"

    def __init__(self, ctx: JudgeContext):
        super().__init__(ctx)
        cfg = tomllib.loads((DATA_DIR / "engagement.toml").read_text(encoding="utf-8"))
        self.weights = cfg["weights"]
        self.needs_rx = re.compile(cfg["needs_question"], re.I)
        self.ref_rx = re.compile(cfg["reference_phrases"], re.I)
        self.filler_rx = re.compile(r"(?<![a-z])(?:" + "|".join(re.escape(f) for f in cfg["filler"]) + r")(?![a-z])",
                                    re.I)
        self.claims = claim_extractor(ctx.catalog)  # one per catalog, shared with the other judges

    def _pitch_at(self, text: str) -> int | None:
        """Where in a turn the salesperson first pitches: names a product, a price or a feature."""
        hits = [m.start for m in find_money(text)] + [m.start for m in self.claims.index.find(text)]
        hits += [m.start() for m in self.claims._feature_rx.finditer(text)]
        return min(hits) if hits else None

    def _facts(self, text: str, own_words: set[str] = frozenset()) -> list[str]:
        """What a turn tells about a product beyond its name and price: figures with units, catalog features, and
        two or more of `own_words`, the product's own feature and spec words ("quick charge", "wired option")."""
        found = [text[a:b] for _, _, a, b in numbers_with_units(self.claims.rules, text)]
        found += [m.group(0) for m in self.claims._feature_rx.finditer(text)]
        own = content_words(text) & own_words
        return found + (sorted(own) if len(own) >= 2 else [])

    @staticmethod
    def _fact_words(p: Product) -> set[str]:
        """The words of a product's features and specs that are not its name, brand or category."""
        said = " ".join([*p.features, *(f"{k.replace('_', ' ')} {v}" for k, v in p.specs.items())])
        return content_words(said) - content_words(f"{p.name} {p.brand or ''} {p.category or ''}")

    def _specifics(self, text: str) -> list[str]:
        return [m.text for m in find_money(text)] + self._facts(text) + [m.text for m in self.claims.index.find(text)]

    def judge(self, dialogue: Dialogue) -> Verdict | None:
        turns = dialogue.turns
        sales = [(i, t) for i, t in enumerate(turns) if t.role == SALESPERSON]
        if not sales:
            return None
        evidence = []
        # 1. Needs before the pitch.
        needs_first, pitch, asked = 0.0, None, None
        for i, t in sales:
            pos = self._pitch_at(t.text)
            q = next((m for s in sentences(t.text) if s.rstrip().endswith("?")
                      for m in [self.needs_rx.search(s)] if m), None)
            if asked is None and q is not None:
                asked = (i, t.text.find(q.string))
            if pos is not None and pitch is None:
                pitch = (i, pos)
            if asked is not None and pitch is not None:
                break
        if asked is None:
            evidence.append("the salesperson never asks about the customer's needs")
        elif pitch is None or asked <= pitch:
            needs_first = 1.0
            evidence.append(f"{where(asked[0], turns[asked[0]])} asks about needs before any pitch")
        else:
            needs_first = 0.5 if asked[0] == pitch[0] else 0.0
            evidence.append(f"{quote(pitch[0], turns[pitch[0]], limit=100)} pitches before asking about needs "
                            f"(first needs question in turn {asked[0] + 1})")
        # 2. References back to what the customer just said.
        refs = []
        for i, t in sales:
            prev = next((turns[j] for j in range(i - 1, -1, -1) if turns[j].role == CUSTOMER), None)
            if prev is None:
                continue
            product_words = set(norm(dialogue.product.name).split()) if dialogue.product else set()
            shared = (content_words(t.text) & content_words(prev.text)) - product_words
            r = clamp(len(shared) / 3) if not self.ref_rx.search(t.text) else clamp(len(shared) / 3 + 0.34)
            refs.append(r)
            if r < 0.5:
                evidence.append(f"{quote(i, t, limit=90)} hardly refers to what the customer said in turn {i} "
                                f"(shared words: {', '.join(sorted(shared)) or 'none'})")
        # 3. Specifics rather than filler, in every turn after the greeting.
        spec = []
        for i, t in sales[1:] or sales:
            s = self._specifics(t.text)
            f = [m.group(0) for m in self.filler_rx.finditer(t.text)]
            spec.append(clamp((len(s) - len(f)) / 2))
            if not s:
                evidence.append(f"{quote(i, t, limit=90)} gives no specifics (no figure, feature or product)"
                                + (f"; filler: {', '.join(f[:5])}" if f else ""))
            elif len(f) >= len(s):
                evidence.append(f"{quote(i, t, limit=90)} is more filler ({', '.join(f[:5])}) than specifics "
                                f"({', '.join(s[:5])})")
        w = self.weights
        score = w["needs_first"] * needs_first + w["references"] * mean(refs) + w["specifics"] * mean(spec)
        # A salesperson who never states one fact about the product (a figure with its unit, a feature) has said
        # nothing a shopper or a trained assistant could use, however polite: that alone is under the floor.
        own = self._fact_words(dialogue.product) if dialogue.product is not None else set()
        facts = [f for _, t in sales for f in self._facts(t.text, own)]
        if not facts:
            score = min(score, self.param("no_facts_score", 0.25))
            evidence.append("no salesperson turn states a fact about the product (no figure with its unit, no "
                            "catalog feature)")
        parts = []
        if needs_first < 1:
            parts.append("pitches before discovering needs" if asked else "never asks about needs")
        if mean(refs) < 0.7:
            parts.append("rarely refers back to the customer")
        if not facts:
            parts.append("no product facts at all")
        elif mean(spec) < 0.7:
            parts.append("filler rather than specifics")
        reason = "; ".join(parts) or "asks first, listens, and gives specifics"
        return verdict(self.name, score, reason, evidence, needs_first=needs_first, references=round(mean(refs), 3),
                       specifics=round(mean(spec), 3))
