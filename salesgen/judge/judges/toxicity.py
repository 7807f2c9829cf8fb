"""Toxicity and bias: a trained classifier on every sentence, plus slur, attack, stereotype and non-inclusive lists.

Gates: `toxicity` (a salesperson sentence the classifier calls toxic, or a stereotyping remark) and `abuse` (a slur
or personal attack from anyone). Non-inclusive wording and a blunt customer lower the score only."""
from __future__ import annotations

import re
import tomllib
from typing import Any

from salesgen.core.dialogue import SALESPERSON, Dialogue, Verdict
from salesgen.core.words import sentences
from salesgen.judge.base import DATA_DIR, Judge, JudgeContext, gate, register, verdict
from salesgen.judge.text import quote

_SECOND_PERSON = re.compile(r"\byou(?:r|'re|'ve|'ll|'d)?\b", re.I)


def load_rules(path=None) -> dict[str, Any]:
    raw = tomllib.loads((path or DATA_DIR / "toxicity.toml").read_text(encoding="utf-8"))
    fill = {"groups": raw.get("groups", "(?!)"), "generalising": raw.get("generalising", "(?!)"),
            "insult": raw.get("insult", "(?!)")}

    def rx(p: str) -> re.Pattern[str]:
        for k, v in fill.items():
            p = p.replace("{" + k + "}", v)
        return re.compile(p, re.I)

    return {
        "contempt": [rx(p) for p in raw.get("contempt", [])],
        "stereotypes": [rx(p) for p in raw.get("stereotypes", [])],
        "salesperson_veto": float(raw.get("salesperson_veto", 0.5)),
        "customer_weight": float(raw.get("customer_weight", 0.3)),
        "floor": float(raw.get("classifier_floor", 0.3)),
        "penalty": float(raw.get("non_inclusive_penalty", 0.2)),
        "attacks": [rx(p) for p in raw.get("attacks", [])],
        "slurs": re.compile(r"\b(?:" + "|".join(map(re.escape, raw.get("slurs", []))) + r")s?\b", re.I)
        if raw.get("slurs") else None,
        "non_inclusive": [(re.compile(t["pattern"], re.I), t["reason"]) for t in raw.get("non_inclusive", [])],
    }


@register
class Toxicity(Judge):
    name = "toxicity"
    needs = ("toxicity",)

    def __init__(self, ctx: JudgeContext):
        super().__init__(ctx)
        self.rules = load_rules(self.param("rules", None) and DATA_DIR / self.param("rules", None))

    def judge(self, dialogue: Dialogue) -> Verdict | None:
        if not dialogue.turns:
            return None
        r = self.rules
        units = [(i, t, s) for i, t in enumerate(dialogue.turns) for s in sentences(t.text) or [t.text]]
        if not units:
            return None
        res = self.ctx.resources
        with res.lock("toxicity"):
            probs = res.get("toxicity")([s for _, _, s in units])
        evidence, vetoes, hits = [], [], 0
        failed: dict[str, list[str]] = {"toxicity": [], "abuse": []}
        sp_max = cu_max = 0.0
        for (i, t, s), p in zip(units, probs, strict=True):
            seller = t.role == SALESPERSON
            if seller:
                sp_max = max(sp_max, p)
            else:
                cu_max = max(cu_max, p)
            for rx in r["attacks"]:
                m = rx.search(s)
                if m:
                    vetoes.append(f"personal attack by the {t.role}")
                    evidence.append(f"{quote(i, t, s)}: personal attack (\"{m.group(0)}\")")
                    failed["abuse"].append(evidence[-1])
                    break
            m = r["slurs"].search(s) if r["slurs"] else None
            if m:
                vetoes.append(f"slur from the {t.role}")
                evidence.append(f"{quote(i, t, s)}: slur (\"{m.group(0)}\")")
                failed["abuse"].append(evidence[-1])
            if seller and p >= r["salesperson_veto"]:
                vetoes.append("toxic salesperson line")
                evidence.append(f"{quote(i, t, s)}: classifier toxicity {p:.2f} (salesperson limit "
                                f"{r['salesperson_veto']:.2f})")
                failed["toxicity"].append(evidence[-1])
            elif not seller and p >= r["salesperson_veto"] and _SECOND_PERSON.search(s) and not failed["abuse"]:
                # Profanity aimed at the salesperson is an attack; a blunt customer swearing at a price is not.
                vetoes.append(f"personal attack by the {t.role}")
                evidence.append(f"{quote(i, t, s)}: classifier toxicity {p:.2f}, aimed at the salesperson")
                failed["abuse"].append(evidence[-1])
            elif not seller and p >= 0.5:
                evidence.append(f"{quote(i, t, s)}: classifier toxicity {p:.2f} (customer: allowed, lowers score)")
            if seller:
                for kind, what in (("stereotypes", "stereotype"), ("contempt", "contempt")):
                    m = next((m for rx in r[kind] if (m := rx.search(s))), None)
                    if m:
                        vetoes.append(f"{'stereotyping' if kind == 'stereotypes' else 'contemptuous'} salesperson "
                                      f"remark")
                        evidence.append(f"{quote(i, t, s)}: {what} (\"{m.group(0)}\")")
                        failed["toxicity"].append(evidence[-1])
                        break
                for rx, why in r["non_inclusive"]:
                    m = rx.search(s)
                    if m:
                        hits += 1
                        evidence.append(f"{quote(i, t, s)}: non-inclusive \"{m.group(0)}\": {why}")
        # The classifier reads 0.1-0.4 on plain sales talk ("die", "shoot"): only the part above `floor` counts.
        floor, veto_at = r["floor"], r["salesperson_veto"]
        sp_pen = 0.6 * min(1.0, max(0.0, sp_max - floor) / max(1e-6, veto_at - floor))
        cu_pen = r["customer_weight"] * min(1.0, max(0.0, cu_max - floor) / max(1e-6, 1.0 - floor))
        score = 1.0 - sp_pen - cu_pen - r["penalty"] * hits
        if vetoes:
            score = min(score, 0.0)
        reasons = sorted(set(vetoes))
        if hits:
            reasons.append(f"{hits} non-inclusive phrase(s) from the salesperson")
        reason = "; ".join(reasons) or (f"clean: highest classifier toxicity {sp_max:.2f} (salesperson), "
                                        f"{cu_max:.2f} (customer)")
        return verdict(self.name, score, reason, evidence, [gate(k, v) for k, v in failed.items()],
                       salesperson_max=round(sp_max, 4),
                       customer_max=round(cu_max, 4), non_inclusive=hits)

    def describe(self) -> dict[str, Any]:
        return {"backend": self.ctx.options.toxicity}
