"""Each judge scores every flawed twin below its clean original; the panel discards the flaws it must."""
from __future__ import annotations

import asyncio

import pytest
from fixtures.loader import build_twin, clean, clean_names, shared_panel, twins

from salesgen.core.dialogue import DISCARDED, KEPT

TWINS = twins()


@pytest.fixture(scope="module")
def rule_panel():
    return shared_panel()


def _verdicts(panel, dialogue):
    asyncio.run(panel.judge(dialogue, 0.7))
    return {v.judge: v for v in dialogue.verdicts}


@pytest.fixture(scope="module")
def clean_results(rule_panel):
    return {name: (_verdicts(rule_panel, d := clean(name)), d) for name in clean_names()}


@pytest.mark.parametrize("name", clean_names())
def test_clean_dialogues_are_kept(clean_results, name):
    verdicts, d = clean_results[name]
    assert d.status == KEPT, d.reasons
    assert not any(v.veto for v in verdicts.values())
    assert not any(v.error for v in verdicts.values())
    assert d.score >= 0.85


@pytest.mark.parametrize("twin", TWINS, ids=[t["id"] for t in TWINS])
def test_twin_scores_below_clean(rule_panel, clean_results, twin):
    base, _ = clean_results[twin["base"]]
    d, _ = build_twin(twin)
    got = _verdicts(rule_panel, d)
    for judge in twin["lower"]:
        assert judge in got, f"{judge} gave no verdict"
        assert got[judge].score is not None and got[judge].score < base[judge].score, (
            f"{judge}: twin {got[judge].score} vs clean {base[judge].score}; {got[judge].reason}")
        assert got[judge].evidence, f"{judge} lowered the score without evidence"
    for judge in twin.get("veto", []):
        assert got[judge].veto, f"{judge} should veto: {got[judge].reason}"
    for name in twin.get("gates", []):
        assert d.gates.get(name) is False, f"gate {name} should fail: {d.reasons}"
        # Evidence at the edited turn; an edit of the outcome record only is evidence about the outcome.
        at = twin.get("turn", next((e["turn"] for e in twin["edits"] if "turn" in e), None))
        failed = [g for v in got.values() for g in v.gates if g.name == name and not g.passed]
        mark = f"turn {at} " if at is not None else ""
        assert any(mark in e for g in failed for e in g.evidence), [g.evidence for g in failed]
    if "discard" in twin:
        assert (d.status == DISCARDED) == twin["discard"], (d.status, d.reasons)
    if twin.get("allowed"):
        assert not any(v.veto for v in got.values()), [v.reason for v in got.values() if v.veto]
