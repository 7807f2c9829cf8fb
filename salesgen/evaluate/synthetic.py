"""Synthetic run directories for tests and benchmarks: plausible dialogues, verdicts, usage and timing."""
from __future__ import annotations

import json
import random
from collections.abc import Sequence
from pathlib import Path

from salesgen.core.dialogue import (
    CUSTOMER,
    DISCARDED,
    FAILED,
    KEPT,
    SALESPERSON,
    Dialogue,
    Outcome,
    Persona,
    Product,
    Turn,
    Usage,
    Verdict,
)
from salesgen.core.rundir import DIALOGUES, RunDir, utc_now

PERSONALITIES = ["polite", "rude", "talkative", "sarcastic", "respectful", "uncommunicative"]
PRODUCTS = [("car", "Toyota RAV4 Hybrid", 32000), ("car", "Honda Civic Sedan", 24000),
            ("laptop", "Aurora 14 Pro", 1400), ("phone", "Nimbus X2", 899), ("tv", "Vista 55 OLED", 1299),
            ("appliance", "FrostLine Fridge", 1850), ("furniture", "Oakline Sofa", 950)]
_SELLER = ("the {p} comes with a {w}-year warranty and financing from {a}% APR so it fits a budget like yours "
           "and we can look at trade-in value too").split()
_BUYER = ("i need something reliable for my family and i do not want to pay more than i planned so tell me what "
          "makes the {p} worth it compared with the others").split()
_FILLER = ("honestly really great quality price budget feature comfortable quiet fast battery screen service "
           "delivery discount option colour size model review test drive warranty support upgrade").split()
JUDGES = ["word_count", "exchanges", "repetition", "role_leakage", "garbled", "decision", "accuracy", "toxicity",
          "coherence", "fluency", "engagement", "sale_success"]
LLM_CRITERIA = ["relevance", "coherence_fluency", "engagement", "toxicity_bias", "accuracy"]  # judge's rubric keys


def _text(rng: random.Random, template: list[str], product: str, words: int) -> str:
    out = [w.format(p=product, w=rng.choice([2, 3, 5]), a=rng.choice([1.9, 2.9, 3.9])) for w in template]
    while len(out) < words:
        out.append(rng.choice(_FILLER))
    rng.shuffle(out[len(template) // 2:])
    return " ".join(out[:words]).capitalize() + "."


def dialogue(index: int, variant: str = "default", seed: int = 0, quality: float = 0.75,
             min_score: float = 0.7) -> Dialogue:
    """One plausible dialogue; `quality` shifts its judge scores (a better variant gets a higher one)."""
    rng = random.Random(f"{seed}-{index}")  # persona/product by index only: variants pair up like real runs
    cat, name, price = PRODUCTS[rng.randrange(len(PRODUCTS))]
    persona = Persona(id=f"p{index}", name=f"Customer {index}", personality=rng.choice(PERSONALITIES),
                      category=cat, budget=price * rng.uniform(0.8, 1.3))
    product = Product(id=f"{cat}-{index % 7}", name=name, category=cat, price=price)
    vr = random.Random(f"{seed}-{index}-{variant}")
    turns = []
    for k in range(vr.randint(3, 5)):
        for role, tpl in ((SALESPERSON, _SELLER), (CUSTOMER, _BUYER)):
            turns.append(Turn(role=role, text=_text(vr, tpl, name, vr.randint(45, 80)), timestamp=utc_now(),
                              usage=Usage(prompt_tokens=300 + 80 * k, completion_tokens=90, calls=1)))
    verdicts = [Verdict(judge=j, score=round(min(1.0, max(0.0, vr.gauss(quality, 0.12))), 4), reason="synthetic",
                        evidence=[f"turn {vr.randint(1, len(turns))} ({SALESPERSON}): \"{turns[0].text[:40]}\""])
                for j in JUDGES]
    verdicts.append(Verdict(judge="llm_judge", score=quality,
                            details={"scores": {c: min(5, max(1, round(vr.gauss(1 + 4 * quality, 0.8))))
                                                for c in LLM_CRITERIA}}))
    score = round(sum(v.score for v in verdicts if v.score is not None) / len(verdicts), 4)
    bought = vr.random() < quality * 0.7
    status = KEPT if score >= min_score else DISCARDED
    reasons = [] if status == KEPT else [f"score {score:.2f} below --min-score {min_score:g}"]
    if vr.random() < 0.02:
        status, reasons, verdicts, score = FAILED, ["generation error: server timed out"], [], None
    usage = Usage(prompt_tokens=sum(t.usage.prompt_tokens for t in turns),
                  completion_tokens=sum(t.usage.completion_tokens for t in turns), calls=len(turns),
                  seconds=len(turns) * 2.5)
    return Dialogue(id=f"{variant}-{index:05d}", index=index, persona=persona, product=product, turns=turns,
                    outcome=Outcome(bought=bought, product_id=product.id if bought else None,
                                    product_name=name if bought else None,
                                    price=round(price * vr.uniform(0.9, 1.0)) if bought else None),
                    verdicts=verdicts, score=score, status=status, reasons=reasons, variant=variant,
                    model="synthetic", seed=seed, usage=usage,
                    timing={"generate": round(vr.uniform(20, 40) / (1 + quality), 3),
                            "judge": round(vr.uniform(0.5, 3), 3)})


def write_run(path: Path, dialogues: Sequence[Dialogue], variants: Sequence[str] | None = None,
              config: dict | None = None) -> RunDir:
    """A run directory as run.py leaves it: manifest.json and dialogues.jsonl."""
    rd = RunDir.create(Path(path))
    names = list(variants) if variants else list(dict.fromkeys(d.variant for d in dialogues))
    rd.write_manifest({"config": {"min_words": 50, "max_words": 75, "max_exchanges": 5, "min_score": 0.7,
                                  **(config or {})},
                       "model": {"name": "synthetic"}, "variants": names, "status": "complete",
                       "totals": {"attempts": len(dialogues)}, "timings": {}, "created": utc_now()})
    # The same JSON lines JsonlWriter writes, without its fsync per record (10,000 fsyncs dominate a benchmark).
    with open(rd.file(DIALOGUES), "w", encoding="utf-8") as fh:
        for d in dialogues:
            fh.write(json.dumps(d.to_dict(), ensure_ascii=False) + "\n")
    return rd


def synthetic_run(path: Path, n: int, variants: Sequence[str] = ("default",), seed: int = 0,
                  qualities: Sequence[float] | None = None) -> RunDir:
    qualities = qualities or [0.75] * len(variants)
    dialogues = [dialogue(i, v, seed, q) for v, q in zip(variants, qualities, strict=True) for i in range(n)]
    return write_run(path, dialogues, variants)
