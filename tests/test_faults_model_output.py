"""Bad model output (issue 5): empty replies, the wrong role, endless repetition, broken or impossible JSON
decisions are handled by the simulator's rules and recorded on the dialogue, never a crash."""
from __future__ import annotations

from typing import Any

import pytest
from faults_support import rules_weights

from core.catalog import Catalog
from core.dialogue import CUSTOMER, SALESPERSON, Dialogue, Persona, Usage
from generate.prompts import load_prompts
from generate.simulator import SimOptions, SimulationError, Simulator, World, parse_decision
from judge.panel import Panel, PanelOptions
from llm.base import Completion

GOOD_SELLER = "Welcome in, this sedan has a great warranty and low running costs for you."  # 14 words
GOOD_BUYER = "That sounds good, but I need to check the price against my budget first."  # 14 words
REPEAT = "buy " * 200  # no sentence end to trim at


class Scripted:
    """A ChatModel that answers from a list, in order, and records what it was asked."""

    name = "scripted"
    supports_slots = False

    def __init__(self, replies: list[str]):
        self.replies = list(replies)
        self.calls: list[dict[str, Any]] = []

    async def complete(self, messages, *, max_tokens, json_schema=None, **kw) -> Completion:
        self.calls.append({"messages": messages, "json_schema": json_schema})
        if not self.replies:
            raise AssertionError("the simulator asked for more replies than scripted")
        return Completion(text=self.replies.pop(0), usage=Usage(prompt_tokens=10, completion_tokens=5, calls=1))


@pytest.fixture(scope="module")
def car():
    return Catalog.load().in_category("car")[0]


def dialogue(car) -> Dialogue:
    persona = Persona(id="p", name="Dana", personality="polite", category="car", budget=car.price * 1.2)
    return Dialogue(id="t-0", index=0, persona=persona, product=car, variant="default", seed=1)


def simulator(model) -> Simulator:
    world = World(seller_names=["Alex"], stores={"default": "the store"})
    return Simulator(model, load_prompts(), world, SimOptions(max_exchanges=1, min_words=8, max_words=20,
                                                              max_retries=2))


async def test_bad_replies_are_regenerated_repaired_or_recorded(car, tmp_path):
    model = Scripted([
        "",  # salesperson: empty
        "Customer: Sure, I will take it right now.",  # salesperson writing the customer's line only
        GOOD_SELLER,
        REPEAT, REPEAT, REPEAT,  # customer: endless repetition, three tries
        '{"bought": tru',  # decision: truncated JSON
        f'{{"bought": true, "product": "{car.name}", "price": NaN}}',  # then an impossible price
    ])
    d = await simulator(model).run(dialogue(car), [])
    assert [t.role for t in d.turns] == [SALESPERSON, CUSTOMER]
    seller, buyer = d.turns
    assert seller.text == GOOD_SELLER and seller.attempts == 3
    assert "role_prefix_removed" in seller.notes or "leakage_removed" in seller.notes
    # Never within the band: the closest try is kept and marked, for the judge to see.
    assert buyer.attempts == 3 and "word_count_unmet" in buyer.notes
    assert d.outcome is not None and d.outcome.bought is None
    assert d.outcome.error == "bought without a positive price" and "NaN" in d.outcome.raw
    assert model.replies == [] and model.calls[-1]["json_schema"] is not None
    # The judge turns what was recorded into reasons; the dialogue is discarded, not kept, not lost.
    panel = Panel.build(Catalog.load(), PanelOptions(min_words=8, max_words=20, max_exchanges=1, use_llm_judge=False,
                                                     weights_path=rules_weights(tmp_path)))
    await panel.judge(d, 0.7)
    assert d.status == "discarded" and d.reasons
    assert any(r.startswith(("decision", "word_count", "repetition")) for r in d.reasons), d.reasons


async def test_a_turn_that_never_has_text_fails_the_dialogue_with_its_reason(car):
    model = Scripted(["", "   ", "Salesperson:"])
    with pytest.raises(SimulationError, match="returned no usable text in 3 tries"):
        await simulator(model).run(dialogue(car), [])


@pytest.mark.parametrize("reply, error", [
    ("", "not valid JSON"),
    ("[true]", "lacks a true/false"),
    ('{"bought": "yes"}', "lacks a true/false"),
    ('{"bought": true, "product": "Flying Carpet", "price": 10}', "unknown product"),
    ('{"bought": true, "product": "%s", "price": Infinity}', "positive price"),
    ('{"bought": true, "product": "%s", "price": -5}', "positive price"),
    ('{"bought": true, "product": "%s", "price": true}', "positive price"),
])
def test_unusable_decisions_become_an_outcome_with_an_error(car, reply, error):
    text = reply.replace("%s", car.name)
    o = parse_decision(text, [car])
    assert o.bought is None and error in (o.error or "") and o.raw == text
