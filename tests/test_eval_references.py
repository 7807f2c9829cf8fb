"""Reference loaders: each bundled set maps onto Dialogues; malformed files give one sentence naming the file."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from salesgen.core.dialogue import CUSTOMER, SALESPERSON
from salesgen.core.errors import InputError
from salesgen.evaluate.references import (
    bundled,
    load_car_dealer,
    load_craigslist,
    load_persuasion,
    load_reference,
    load_salesbot,
)


def test_bundled_sets_load_with_both_roles() -> None:
    sets = {s.name: s for s in bundled()}
    assert set(sets) == {"car_dealer", "craigslist_cars", "persuasion_for_good", "salesbot2"}
    assert len(sets["car_dealer"].dialogues) == 7 and len(sets["craigslist_cars"].dialogues) == 53
    assert len(sets["persuasion_for_good"].dialogues) == 200 and len(sets["salesbot2"].dialogues) == 200
    for s in sets.values():
        roles = {t.role for d in s.dialogues for t in d.turns}
        assert roles == {SALESPERSON, CUSTOMER}, s.name
    assert sets["craigslist_cars"].kind == "human" and sets["car_dealer"].kind == "llm"
    assert all("<intent>" not in t.text for d in sets["salesbot2"].dialogues for t in d.turns)
    first = sets["car_dealer"].dialogues[0]
    assert first.turns[0].role == SALESPERSON and first.persona.preferred_brand == "Tesla"


def test_default_reference_is_the_paper_examples() -> None:
    ref = load_reference()
    assert ref.path.name == "paper_examples.json" and len(ref.dialogues) == 7


def _write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


CAR_DEALER_BAD = [
    ("broken.json", "{not json", "not valid JSON"),
    ("list.json", "[]", "Car Dealer format"),
    ("nolines.json", json.dumps({"rude": [{"buyer_info": {}}]}), "lines"),
    ("badrole.json", json.dumps({"rude": [{"lines": [{"role": "Robot", "text": "hi"}]}]}), "role"),
    ("budget.json", json.dumps({"rude": [{"buyer_info": {"budget": "90k"}, "lines": []}]}), "Car Dealer format"),
    ("output.json", json.dumps({"rude": [{"lines": [], "output": "sold"}]}), "Car Dealer format"),
    ("empty.json", "{}", "no Car Dealer conversations"),
]


@pytest.mark.parametrize("name,text,problem", CAR_DEALER_BAD)
def test_malformed_car_dealer_file_names_file_and_problem(tmp_path: Path, name: str, text: str, problem: str) -> None:
    path = _write(tmp_path, name, text)
    with pytest.raises(InputError) as err:
        load_car_dealer(path)
    assert str(path) in str(err.value) and problem in str(err.value)


def test_reference_flag_checks_the_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        load_reference(tmp_path / "missing.json")
    bad = _write(tmp_path, "train.json", "[1, 2]")
    with pytest.raises(InputError, match=str(bad)):
        load_reference(bad)


def test_other_loaders_reject_malformed_files(tmp_path: Path) -> None:
    cb = _write(tmp_path, "cb.jsonl", '{"item_name": "car", "dialog": [{"speaker": "alien", "text": "x"}]}\n')
    with pytest.raises(InputError, match=rf"{cb}: line 1"):
        load_craigslist(cb)
    p4g = _write(tmp_path, "p4g.csv", "a,b\n1,2\n")
    with pytest.raises(InputError, match=rf"{p4g} needs the PersuasionForGood columns"):
        load_persuasion(p4g)
    sb = _write(tmp_path, "sb.json", '{"id": 1}')
    with pytest.raises(InputError, match=rf"{sb} is not in the SalesBot format"):
        load_salesbot(sb)


def test_persuasion_joins_sentences_of_one_turn(tmp_path: Path) -> None:
    path = _write(tmp_path, "p.csv", ",Unit,Turn,B4,B2\n0,Hi there.,0,0,d1\n1,Want to donate?,0,0,d1\n"
                                     "2,Maybe.,0,1,d1\n")
    (d,) = load_persuasion(path)
    assert [(t.role, t.text) for t in d.turns] == [(SALESPERSON, "Hi there. Want to donate?"), (CUSTOMER, "Maybe.")]
