"""Coherence: each turn answers the one before, the talk stays on the product, nothing contradicts itself.

Similarities come from all-MiniLM-L6-v2 sentence embeddings (cosine, normalised vectors). On hand-written
sales dialogues consecutive turns score 0.35-0.8 and a turn about something else 0.0-0.15, hence the defaults.
"""
from __future__ import annotations

from salesgen.core.dialogue import CUSTOMER, SALESPERSON, Dialogue, Verdict
from salesgen.core.words import sentences
from salesgen.judge.base import Judge, JudgeContext, register, verdict
from salesgen.judge.text import clamp, content_words, mean, quote, where
from salesgen.scenarios.sales.claims import Claim, claim_extractor
from salesgen.scenarios.sales.prices import money


@register
class Coherence(Judge):
    name = "coherence"
    needs = ("embedder",)

    def __init__(self, ctx: JudgeContext):
        super().__init__(ctx)
        self.extractor = claim_extractor(ctx.catalog)  # one per catalog, shared with the other judges

    def _embed(self, texts: list[str]):
        res = self.ctx.resources
        with res.lock("embedder"):
            return res.get("embedder").encode(texts, normalize_embeddings=True, batch_size=32,
                                              show_progress_bar=False)

    def judge(self, dialogue: Dialogue) -> Verdict | None:
        turns = dialogue.turns
        if len(turns) < 2:
            return None
        lo, hi = self.param("unrelated_below", 0.12), self.param("related_above", 0.35)
        p = dialogue.product
        topic = f"{p.name}, a {p.category}. " + ", ".join(p.features) if p is not None and p.name else None
        texts = [t.text or " " for t in turns] + ([topic] if topic else [])
        emb = self._embed(texts)
        prev = [float(emb[i] @ emb[i - 1]) for i in range(1, len(turns))]
        prod = [float(emb[i] @ emb[len(turns)]) for i in range(len(turns))] if topic else []
        evidence = []
        answer = []
        for i, s in enumerate(prev, start=1):
            answer.append(clamp((s - lo) / (hi - lo)))
            if s < lo + 0.08:
                evidence.append(f"{quote(i, turns[i], limit=90)} barely relates to turn {i} "
                                f"(similarity {s:.2f})")
        on_topic, strays = [], []
        for i, t in enumerate(turns):
            if t.role != SALESPERSON or not topic:
                continue
            # A salesperson turn is on the product if it is close to the product or to what was just said.
            best = max(prod[i], prev[i - 1] if i else prod[i])
            on_topic.append(clamp((best - lo) / (hi - lo)))
            if best < lo:
                strays.append(f"{quote(i, t, limit=90)} is about something else: unrelated to the product and to "
                              f"the turn before (similarity {best:.2f})")
            elif best < lo + 0.08:
                evidence.append(f"{quote(i, t, limit=90)} is off the product and off the conversation "
                                f"(similarity {prod[i]:.2f} to {p.name})")
        strays += self._other_category(dialogue)
        unanswered = self._unanswered(dialogue)
        contradictions = self._contradictions(dialogue) + self._farewells(dialogue)
        evidence += strays + unanswered + contradictions
        base = 0.5 * mean(answer) + 0.5 * mean(on_topic, default=mean(answer))
        # One salesperson turn about something else is a flaw a reader sees at once: it is not averaged away.
        score = base - self.param("contradiction_penalty", 0.25) * len(contradictions) \
            - self.param("off_topic_penalty", 0.4) * (len(strays) + len(unanswered))
        parts = []
        if strays:
            parts.append(f"{len(strays)} salesperson turn(s) about something else")
        if unanswered:
            parts.append(f"{len(unanswered)} customer question(s) left unanswered")
        if contradictions:
            parts.append(f"{len(contradictions)} contradiction(s)")
        weak = sum(a < 0.5 for a in answer)
        if weak:
            parts.append(f"{weak} turn(s) do not follow from the previous one")
        off = sum(o < 0.5 for o in on_topic)
        if off:
            parts.append(f"{off} salesperson turn(s) off the product")
        reason = "; ".join(parts) or "every turn follows the previous one and stays on the product"
        return verdict(self.name, score, reason, evidence, similarity_to_previous=[round(s, 3) for s in prev],
                       similarity_to_product=[round(s, 3) for s in prod], contradictions=len(contradictions))

    def _other_category(self, d: Dialogue) -> list[str]:
        """A catalog product of another category pitched to the customer (a pressure cooker to a mattress buyer)."""
        want = d.product.category if d.product is not None and d.product.category else d.persona.category
        out = []
        for i, t in enumerate(d.turns):
            if t.role != SALESPERSON:
                continue
            for m in self.extractor.index.find(t.text):
                if want and all(p.category != want for p in m.products):
                    out.append(f"{quote(i, t, m.text)}: {m.products[0].name} is a {m.products[0].category}; the "
                               f"customer shops for a {want}")
                    break
        return out

    def _unanswered(self, d: Dialogue) -> list[str]:
        """A customer's question about the warranty, financing or returns that the next salesperson turn ignores."""
        cues = self.extractor.rules.cues
        p = d.product
        out = []
        for i, t in enumerate(d.turns[:-1]):
            reply = d.turns[i + 1]
            if t.role != CUSTOMER or reply.role != SALESPERSON:
                continue
            asked = {k for q in sentences(t.text) if q.rstrip().endswith("?")
                     for k in ("warranty", "financing", "returns") if cues[k].search(q)}
            terms = {k: content_words(p.policies.get(k, "")) if p is not None else set() for k in asked}
            if asked and not any(cues[k].search(reply.text) or terms[k] & content_words(reply.text) for k in asked):
                out.append(f"{quote(i + 1, reply, limit=90)} does not answer the customer's question about "
                           f"{' or '.join(sorted(asked))} in turn {i + 1}")
        return out

    def _farewells(self, d: Dialogue) -> list[str]:
        """A goodbye with the talk going on after it: in a line before the last, or two sentences or more before the
        end of the last (the 1.5B model said "Goodbye." mid-talk and went on with "I'll be there soon.")."""
        cue = self.extractor.rules.cues["farewell"]
        out = []
        for i, t in enumerate(d.turns):
            said = sentences(t.text)
            last = i == len(d.turns) - 1
            # A closing exchange is no talk going on: "Thanks, bye!" answered "Bye, see you later!".
            closing = all(cue.search(u.text) and len(sentences(u.text)) <= 2 for u in d.turns[i + 1:])
            for k, s in enumerate(said):
                if cue.search(s) and (not last or k < len(said) - 2) and not (closing and not last):
                    after = "the talk goes on" if not last else f"{len(said) - 1 - k} more sentences follow"
                    out.append(f"{quote(i, t, s, 90)}: says goodbye and {after}")
                    break
        return out

    def _contradictions(self, d: Dialogue) -> list[str]:
        claims = self.extractor.extract(d)
        cues = self.extractor.rules.cues
        out = []
        # 1. A price that changes with no haggling in between (or goes up at all).
        # Not the old price of a change ("$24,600 on the Jetta, down from $25,200"): read as the price, it "went up".
        prices = [c for c in claims if c.kind == "price" and d.product is not None and c.subject == d.product.id
                  and not cues["old_price"].search(c.sentence[:max(0, c.sentence.find(c.text))])]
        for a, b in zip(prices, prices[1:], strict=False):
            if abs(a.value - b.value) <= 0.5:
                continue
            between = " ".join(t.text for t in d.turns[a.turn + 1:b.turn] if t.role == CUSTOMER)
            asked = cues["negotiation"].search(between) or cues["discount_before"].search(b.sentence) \
                or "discount" in b.sentence.lower() or "offer" in b.sentence.lower()
            if b.value > a.value or not asked:
                why = "went up" if b.value > a.value else "dropped with no negotiation in between"
                out.append(f"{where(b.turn, d.turns[b.turn])}: the price {why}: {money(a.value)} in turn "
                           f"{a.turn + 1}, {money(b.value)} here (\"{b.sentence}\")")
        # 2. A feature said to be there and then not there (or the reverse).
        seen: dict[tuple[str | None, str], Claim] = {}
        for c in claims:
            if c.kind != "feature":
                continue
            key = (c.subject, c.text.lower())
            first = seen.setdefault(key, c)
            if first.positive != c.positive:
                named = self.ctx.catalog.get(c.subject)
                out.append(f"{where(c.turn, d.turns[c.turn])}: says {named.name if named else 'the product'} "
                           f"{'has' if c.positive else 'does not have'} {c.text}, but turn {first.turn + 1} said "
                           f"it {'has' if first.positive else 'does not'} (\"{c.sentence}\")")
        # 3. The product under discussion changes without being introduced as an alternative.
        # From the first product named: the one a customer came in for is no product "under discussion" before anyone
        # names it (a first recommendation of another was "a switch").
        current = None
        for c in claims:
            if c.kind != "product" or c.status != "supported" or c.subject == current:
                continue
            ids = {x.subject for x in claims if x.kind == "product" and x.sentence == c.sentence}
            if current is None or current in ids:
                current = current or c.subject
                continue
            asked = " ".join(t.text for t in d.turns[max(0, c.turn - 1):c.turn] if t.role == CUSTOMER)
            if not (cues["switch"].search(c.sentence) or cues["ask_other"].search(asked)):
                out.append(f"{where(c.turn, d.turns[c.turn])}: switches to {c.text} without introducing it as an "
                           f"alternative (\"{c.sentence}\")")
            current = c.subject
        return out
