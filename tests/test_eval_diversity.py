"""distinct-n, self-BLEU and length figures on tiny corpora whose values are worked out by hand below."""
from __future__ import annotations

import math
import random

import pytest

from salesgen.evaluate.diversity import budget_sample, distinct_n, length_stats, self_bleu, self_bleu_nltk
from salesgen.evaluate.text import tokens


def toks(*texts: str) -> list[list[str]]:
    return [t.split() for t in texts]


def test_distinct_n_counts_ngrams_within_responses_only() -> None:
    corpus = toks("the cat sat", "the cat ran")
    # unigrams: the cat sat the cat ran -> 4 unique of 6
    assert distinct_n(corpus, 1) == pytest.approx(4 / 6)
    # bigrams: (the cat) (cat sat) (the cat) (cat ran) -> 3 unique of 4; (sat the) spans responses: not counted
    assert distinct_n(corpus, 2) == pytest.approx(3 / 4)
    # trigrams: (the cat sat) (the cat ran) -> 2 of 2
    assert distinct_n(corpus, 3) == pytest.approx(1.0)
    assert distinct_n(toks("a a a a"), 1) == pytest.approx(1 / 4)
    assert distinct_n(toks("too short"), 3) is None


def test_budget_sample_is_fixed_size_and_seeded() -> None:
    responses = [[f"w{i}{j}" for j in range(7)] for i in range(30)]  # 210 tokens
    a, b = budget_sample(responses, 50, seed=3), budget_sample(responses, 50, seed=3)
    assert a == b and sum(map(len, a)) == 50
    assert budget_sample(responses, 50, seed=4) != a
    assert budget_sample(responses, 500, seed=3) is None  # smaller than the budget: not comparable


def test_self_bleu_identical_shift_and_smoothing_by_hand() -> None:
    # A = a b c d vs B = a b c e: p1 3/4, p2 2/3, p3 1/2, equal lengths so BP = 1 -> (1/4)^(1/3) both ways.
    assert self_bleu(toks("a b c d", "a b c e")) == pytest.approx(0.25 ** (1 / 3))
    # No shared unigram: BLEU 0 for C; A and B keep their scores against the best reference -> (2 * 0.63) / 3.
    assert self_bleu(toks("a b c d", "a b c e", "x y z w")) == pytest.approx(2 * 0.25 ** (1 / 3) / 3)
    # A = a b x y vs B = a b c d: p1 2/4, p2 1/3, p3 0 -> method1 gives (0 + 0.1) / 2 = 0.05.
    assert self_bleu(toks("a b x y", "a b c d")) == pytest.approx((0.5 * (1 / 3) * 0.05) ** (1 / 3))
    # Brevity: 'a b c' vs 'a b c d e': precisions 1, BP = exp(1 - 5/3); reverse: (3/5 * 2/4 * 1/3)^(1/3), BP 1.
    expected = (math.exp(1 - 5 / 3) + 0.1 ** (1 / 3)) / 2
    assert self_bleu(toks("a b c", "a b c d e")) == pytest.approx(expected)
    assert self_bleu(toks("same words here", "same words here")) == pytest.approx(1.0)
    assert self_bleu(toks("alone")) is None


def test_fast_self_bleu_equals_nltk_on_random_corpora() -> None:
    rng = random.Random(7)
    vocab = list("abcdefg")
    for _ in range(150):
        docs = [[rng.choice(vocab) for _ in range(rng.randint(0, 10))] for _ in range(rng.randint(2, 6))]
        assert self_bleu(docs) == pytest.approx(self_bleu_nltk(docs), abs=1e-12)


def test_tokenizer_lowercases_keeps_contractions_and_drops_punctuation() -> None:
    assert tokens("Hello, World! It's $30,000.") == ["hello", "world", "it's", "30", "000"]


def test_length_stats_band_share_and_histogram() -> None:
    s = length_stats([10, 50, 60, 75, 76, 200], (50, 75))
    assert s["in_band"] == pytest.approx(3 / 6)
    assert s["median"] == pytest.approx(67.5)
    assert sum(s["hist"]["counts"]) == 6 and s["hist"]["counts"][-1] == 1  # 200 lands in the open last bin
