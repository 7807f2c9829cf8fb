"""`judge FILE`: a run's dialogues.jsonl, a sales_conversations.csv and a Car Dealer JSON, judged in place."""
from __future__ import annotations

import asyncio
import json

import pytest
from fixtures.loader import build_twin, clean, clean_names, shared_panel, twins

from salesgen.core.catalog import Catalog
from salesgen.core.dialogue import DISCARDED, KEPT
from salesgen.core.errors import InputError
from salesgen.core.formats import write_car_dealer, write_csv
from salesgen.judge.base import PanelOptions
from salesgen.judge.dataset import judge_dataset, read_dataset
from salesgen.judge.panel import Panel


@pytest.fixture(scope="module")
def import_panel():
    # Imported turns were never held to word limits: the judge command switches those checks off.
    opts = PanelOptions(min_words=None, max_words=None, max_exchanges=None, use_llm_judge=False)
    return Panel.build(Catalog.load(), opts, resources=shared_panel().resources)


def test_dialogues_jsonl_round_trip_keeps_and_discards(tmp_path):
    chosen = {t["id"]: t for t in twins() if t["id"] in ("car_wrong_price", "hp_toxic_salesperson")}
    ds = [clean(n) for n in clean_names()] + [build_twin(t)[0] for t in chosen.values()]
    f = tmp_path / "dialogues.jsonl"
    f.write_text("".join(json.dumps(d.to_dict()) + "\n" for d in ds))
    seen = []
    out = asyncio.run(judge_dataset(f, shared_panel(), 0.7, on_judged=lambda d: seen.append(d.id)))
    status = {d.id: d.status for d in out}
    assert [d.id for d in out] == [d.id for d in ds] and sorted(seen) == sorted(status)
    assert status["car_wrong_price"] == DISCARDED and status["hp_toxic_salesperson"] == DISCARDED
    assert all(status[n] == KEPT for n in clean_names())


def test_csv_products_resolved_by_name_and_checked(tmp_path, import_panel):
    good = clean("clean_car_crv")
    bad, _ = build_twin(next(t for t in twins() if t["id"] == "car_wrong_price"))
    f = tmp_path / "sales_conversations.csv"
    write_csv(f, [good, bad])
    fmt, raw = read_dataset(f)
    assert fmt == "sales_conversations.csv" and all(d.product is None for d in raw)
    out = {d.id: d for d in asyncio.run(judge_dataset(f, import_panel, 0.7))}
    assert out[good.id].product.id == "honda-crv-ex-l-2025" and out[good.id].status == KEPT
    assert out[bad.id].status == DISCARDED and any(r.startswith("gate floor (accuracy)") for r in out[bad.id].reasons)
    assert "word_count" not in {v.judge for v in out[good.id].verdicts}  # limits switched off for imports


def test_car_dealer_json_with_reward_and_catalog_by_mention(tmp_path, import_panel):
    good = clean("clean_car_crv")
    f = tmp_path / "car_dealer.json"
    write_car_dealer(f, [good])
    out = asyncio.run(judge_dataset(f, import_panel, 0.7))
    d = out[0]
    assert d.product.id == "honda-crv-ex-l-2025" and d.extra["msrp"] == 36800
    sale = next(v for v in d.verdicts if v.judge == "sale_success")
    # LMRL-Gym reward when bought: buy_price / ((budget + msrp) / 2) = 36000 / ((37000 + 36800) / 2)
    assert sale.details["car_dealer_reward"] == pytest.approx(36000 / ((37000 + 36800) / 2), abs=1e-4)
    assert d.status == KEPT, d.reasons


def test_paper_style_car_dealer_without_catalog_products(tmp_path, import_panel):
    conv = {"buyer_info": {"personality": "rude", "preferred_brands": "a Tesla", "preferred_features": ["sunroof"],
                           "budget": 90000, "preferred_type": "SUV"},
            "lines": [{"role": "Seller", "text": "Good morning, how can I help you today?"},
                      {"role": "Buyer", "text": "I want a Tesla minivan. Shut up about the extras, you idiot."},
                      {"role": "Seller", "text": "Of course. It is priced at $95,000."},
                      {"role": "Buyer", "text": "Too expensive. I'll pass."}],
            "output": {"car_bought": False, "msrp": 95000, "buy_price": None}}
    f = tmp_path / "cd.json"
    f.write_text(json.dumps({"rude": [conv]}))
    d = asyncio.run(judge_dataset(f, import_panel, 0.7))[0]
    assert d.extra["product_resolved_by"].startswith("none")
    by = {v.judge: v for v in d.verdicts}
    assert by["toxicity"].veto and d.status == DISCARDED  # a personal attack discards, whoever says it
    assert by["sale_success"].details["status"] == "not sold"
    assert by["sale_success"].details["car_dealer_reward"] == pytest.approx(-(90000 - 95000) / 95000, abs=1e-4)


def test_unreadable_inputs_are_input_errors(tmp_path):
    with pytest.raises(InputError, match="not a file"):
        read_dataset(tmp_path / "nope.jsonl")
    (tmp_path / "x.txt").write_text("hi")
    with pytest.raises(InputError, match="expected a .jsonl"):
        read_dataset(tmp_path / "x.txt")
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(InputError, match="not readable JSON"):
        read_dataset(tmp_path / "bad.json")
    (tmp_path / "bad.jsonl").write_text('{"id": 1}\n')
    with pytest.raises(InputError, match="record 1 is not a dialogue record"):
        read_dataset(tmp_path / "bad.jsonl")
