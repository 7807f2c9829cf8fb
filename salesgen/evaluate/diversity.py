"""Lexical diversity: distinct-n (corpus level on a fixed token budget, and per dialogue), self-BLEU-3,
vocabulary size and the response-length distribution."""
from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Sequence
from statistics import fmean, median
from typing import Any

from salesgen.core.dialogue import CUSTOMER, SALESPERSON, Dialogue
from salesgen.evaluate.config import settings
from salesgen.evaluate.text import tokens, word_count

Tokens = list[str]
NGram = tuple[str, ...]


def ngrams(seq: Sequence[str], n: int) -> list[NGram]:
    return [tuple(seq[i:i + n]) for i in range(len(seq) - n + 1)]


def distinct_n(sequences: Sequence[Tokens], n: int) -> float | None:
    """Unique n-grams / all n-grams, n-grams taken within each sequence (never across responses)."""
    grams = [g for s in sequences for g in ngrams(s, n)]
    return len(set(grams)) / len(grams) if grams else None


def budget_sample(responses: Sequence[Tokens], budget: int, seed: int) -> list[Tokens] | None:
    """Responses in seeded random order until `budget` tokens (the last one cut); None if the set is smaller."""
    if sum(len(r) for r in responses) < budget:
        return None
    order = list(range(len(responses)))
    random.Random(seed).shuffle(order)
    out, total = [], 0
    for i in order:
        take = responses[i][: budget - total]
        out.append(take)
        total += len(take)
        if total >= budget:
            break
    return out


def _bleu_parts(hyp: Tokens, n: int, clip: Sequence[dict[NGram, int]]) -> tuple[list[int], list[int]]:
    nums, dens = [], []
    for k in range(1, n + 1):
        counts = Counter(ngrams(hyp, k)) if len(hyp) >= k else Counter()
        nums.append(sum(min(c, clip[k - 1].get(g, 0)) for g, c in counts.items()))
        dens.append(max(1, sum(counts.values())))
    return nums, dens


def _bleu_from(nums: list[int], dens: list[int], hyp_len: int, ref_len: int, n: int) -> float:
    """nltk sentence_bleu with uniform weights and SmoothingFunction().method1 (epsilon 0.1)."""
    if nums[0] == 0:
        return 0.0
    bp = 1.0 if hyp_len > ref_len else (0.0 if hyp_len == 0 else math.exp(1 - ref_len / hyp_len))
    p = [(num + 0.1) / den if num == 0 else num / den for num, den in zip(nums, dens, strict=True)]
    return bp * math.exp(math.fsum(math.log(x) / n for x in p if x > 0))


def self_bleu(docs: Sequence[Tokens], n: int = 3) -> float | None:
    """Mean BLEU-n of each document against all the others (Texygen), exactly as nltk computes it.

    nltk rebuilds every reference's n-gram counts for every hypothesis (O(N^2 * length)); here each n-gram keeps
    its two highest counts, so the best count among the *other* documents is O(1) to look up.
    """
    if len(docs) < 2:
        return None
    top: list[dict[NGram, tuple[int, int, int]]] = []  # n-gram -> (best count, its doc, second-best count)
    per_doc = [[Counter(ngrams(d, k)) for k in range(1, n + 1)] for d in docs]
    for k in range(n):
        table: dict[NGram, tuple[int, int, int]] = {}
        for i, counts in enumerate(per_doc):
            for g, c in counts[k].items():
                best, who, second = table.get(g, (0, -1, 0))
                table[g] = (c, i, best) if c > best else (best, who, max(second, c))
        top.append(table)
    lengths = sorted((len(d), i) for i, d in enumerate(docs))
    scores = []
    for i, doc in enumerate(docs):
        clip = []
        for k in range(n):
            row = {}
            for g in per_doc[i][k]:
                best, who, second = top[k][g]
                row[g] = best if who != i else second
            clip.append(row)
        nums, dens = _bleu_parts(doc, n, clip)
        others = [ln for ln, j in lengths if j != i]
        ref_len = min(others, key=lambda ln: (abs(ln - len(doc)), ln))
        scores.append(_bleu_from(nums, dens, len(doc), ref_len, n))
    return fmean(scores)


def self_bleu_nltk(docs: Sequence[Tokens], n: int = 3) -> float | None:
    """The textbook computation with nltk, for checking `self_bleu` on small corpora."""
    from nltk.translate.bleu_score import SmoothingFunction, sentence_bleu
    if len(docs) < 2:
        return None
    smooth = SmoothingFunction().method1
    return fmean(sentence_bleu([d for j, d in enumerate(docs) if j != i], h, weights=(1 / n,) * n,
                               smoothing_function=smooth) for i, h in enumerate(docs))


def _quantile(sorted_vals: Sequence[float], q: float) -> float:
    pos = q * (len(sorted_vals) - 1)
    lo, hi = math.floor(pos), math.ceil(pos)
    return sorted_vals[lo] + (sorted_vals[hi] - sorted_vals[lo]) * (pos - lo)


def length_stats(counts: Sequence[int], band: tuple[int, int], bin_width: int = 5, top: int = 150) -> dict[str, Any]:
    if not counts:
        return {"n": 0}
    s = sorted(counts)
    edges = list(range(0, top + bin_width, bin_width))
    hist = [0] * len(edges)  # the last bin holds everything >= top
    for c in counts:
        hist[min(c // bin_width, len(edges) - 1)] += 1
    return {"n": len(s), "mean": fmean(s), "median": median(s), "p10": _quantile(s, 0.1), "p90": _quantile(s, 0.9),
            "min": s[0], "max": s[-1], "in_band": sum(band[0] <= c <= band[1] for c in s) / len(s),
            "hist": {"edges": edges, "counts": hist}}


def diversity(dialogues: Sequence[Dialogue], band: tuple[int, int] = (50, 75)) -> dict[str, Any]:
    """All diversity figures of one set of dialogues."""
    cfg = settings()["diversity"]
    orders, seed = cfg["ngrams"], cfg["seed"]
    dlg_tokens = [[tokens(t.text) for t in d.turns] for d in dialogues]
    responses = [r for d in dlg_tokens for r in d if r]
    out: dict[str, Any] = {"dialogues": len(dialogues), "responses": len(responses),
                           "tokens": sum(len(r) for r in responses)}
    budget, reps = cfg["token_budget"], cfg["samples"]
    samples = [budget_sample(responses, budget, seed + i) for i in range(reps)]
    for n in orders:
        vals = [distinct_n(s, n) for s in samples if s is not None]
        out[f"distinct_{n}"] = fmean(vals) if vals else None
        per = [x for x in (distinct_n(d, n) for d in dlg_tokens) if x is not None]
        out[f"dialogue_distinct_{n}"] = fmean(per) if per else None
    out["sample_ok"] = samples[0] is not None  # False: fewer tokens than the budget, corpus distinct-n not comparable
    pool = list(range(len(dlg_tokens)))
    chosen = sorted(random.Random(seed).sample(pool, min(len(pool), cfg["self_bleu_max"])))
    docs = [[w for r in dlg_tokens[i] for w in r] for i in chosen]
    out["self_bleu_3"] = self_bleu(docs, 3)
    out["self_bleu_n"] = len(docs)
    out["vocabulary"] = len({w for r in responses for w in r})
    out["vocabulary_sample"] = len({w for r in samples[0] for w in r}) if samples[0] else None
    out["length"] = {"all": length_stats([word_count(t.text) for d in dialogues for t in d.turns], band)}
    for role in (SALESPERSON, CUSTOMER):
        out["length"][role] = length_stats([word_count(t.text) for d in dialogues for t in d.turns
                                            if t.role == role], band)
    return out


def definitions() -> dict[str, str]:
    cfg = settings()["diversity"]
    return {
        "distinct_n": (f"corpus distinct-n: unique n-grams / all n-grams (n-grams within a response) over a sample of "
                       f"{cfg['token_budget']} tokens drawn as random whole responses, mean of {cfg['samples']} "
                       f"seeded samples; blank when a set has fewer tokens"),
        "dialogue_distinct_n": "per-dialogue distinct-n averaged over dialogues (length-dependent: longer is lower)",
        "self_bleu_3": (f"self-BLEU-3: each dialogue against all others in a seeded sample of at most "
                        f"{cfg['self_bleu_max']}, nltk BLEU with uniform weights and smoothing method1, averaged; "
                        f"lower is more diverse; rises with sample size"),
        "vocabulary": "unique tokens in the whole set (grows with set size) and in the first fixed-size sample",
        "length": "words per response (whitespace-separated), per role and overall",
    }
