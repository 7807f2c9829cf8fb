"""Bad model output (issue 5): empty replies, the wrong role, endless repetition, broken or impossible JSON
decisions are handled by the simulator's rules and recorded on the dialogue, never a crash."""
from __future__ import annotations

from typing import Any

import pytest
from faults_support import rules_weights

from salesgen.core.catalog import Catalog
from salesgen.core.dialogue import CUSTOMER, SALESPERSON, Dialogue, Persona, Usage
from salesgen.core.mentions import core_name
from salesgen.generate.moves import SimulationError
from salesgen.judge.panel import Panel, PanelOptions
from salesgen.llm.base import Completion
from salesgen.scenarios.sales.free import SimOptions, Simulator, World, parse_decision
from salesgen.scenarios.sales.prompts import load_prompts

GOOD_SELLER = "Welcome in, this sedan has a great warranty and low running costs for you."  # 14 words
GOOD_BUYER = "That sounds good, but I need to think it over before I buy a car today."  # 15 words, a no
REPEAT = "buy " * 200  # no sentence end to trim at


class Scripted:
    """A ChatModel that answers from a list, in order, and records what it was asked."""

    name = "scripted"
    abilities = frozenset()

    def __init__(self, replies: list[str]):
        self.replies = list(replies)
        self.calls: list[dict[str, Any]] = []

    async def complete(self, messages, *, max_tokens, json_schema=None, **kw) -> Completion:
        self.calls.append({"messages": list(messages), "json_schema": json_schema})  # a snapshot: agents append
        if not self.replies:
            raise AssertionError("the simulator asked for more replies than scripted")
        return Completion(text=self.replies.pop(0), usage=Usage(prompt_tokens=10, completion_tokens=5, calls=1))


@pytest.fixture(scope="module")
def car():
    return Catalog.load().in_category("car")[0]


def dialogue(car) -> Dialogue:
    persona = Persona(id="p", name="Dana", personality="polite", category="car", budget=car.price * 1.2)
    return Dialogue(id="t-0", index=0, persona=persona, product=car, variant="default", seed=1)


def simulator(model, extend: bool = False) -> Simulator:
    """Regeneration only, unless `extend`: the prompt file's continuation request is tested on its own below."""
    world = World(seller_names=["Alex"], stores={"default": "the store"})
    prompts = load_prompts()
    if not extend:
        for role in (SALESPERSON, CUSTOMER):
            prompts.sections[role].pop("extend", None)
    return Simulator(model, prompts, world, SimOptions(max_exchanges=1, min_words=8, max_words=20, max_retries=2))


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


SHORT = "I need a quiet family car."  # 6 words, under the 8-word minimum
ASK = "Great, what is your budget today?"  # 6 words
PITCH = "This hybrid sedan seats five and has a large trunk for family trips."  # 13 words


async def test_a_short_line_is_continued_once_instead_of_resampled(car):
    decision = '{"bought": false, "product": "none", "price": null}'
    model = Scripted([
        GOOD_SELLER,
        SHORT, "Sure! It should also seat five and have a big trunk.",  # continued; "Sure!" answers the prompt: cut
        ASK, ASK,  # a continuation that repeats the line is refused, so the line is resampled
        PITCH,
        GOOD_BUYER,
        decision,
    ])
    sim = simulator(model, extend=True)
    sim.opts.max_exchanges = 2
    d = await sim.run(dialogue(car), [])
    buyer, seller = d.turns[1], d.turns[2]
    assert buyer.text == SHORT + " It should also seat five and have a big trunk." and "extended" in buyer.notes
    assert buyer.attempts == 1 and buyer.usage.calls == 2
    ask = model.calls[2]["messages"]
    # The continuation request is the conversation so far plus the short line as the speaker's own words.
    assert ask[:-2] == model.calls[1]["messages"] and ask[-2] == {"role": "assistant", "content": SHORT}
    assert ask[-1]["role"] == "user" and "6 words" in ask[-1]["content"]
    assert seller.text == PITCH and "extended" not in seller.notes and seller.attempts == 2
    assert seller.usage.calls == 3  # line, refused continuation, resample (in the band: nothing to continue)
    assert model.replies == []


async def test_a_long_line_is_cut_short_to_be_continued_and_a_continuation_keeps_only_its_new_sentences(car):
    long = SHORT + " " + " ".join(["It should be very quiet on long highway drives"] * 2) + "."  # 24 words
    more = "I need a quiet family car. It should also seat five and have a big trunk."  # restates, then adds
    model = Scripted([GOOD_SELLER, long, more, OFFER, REFUSE, DECLINE])
    sim = simulator(model, extend=True)
    sim.opts.max_exchanges = 2
    d = await sim.run(dialogue(car), [])
    buyer = d.turns[1]
    # With no sentence end inside 8-20 words the line is cut to its first sentence and continued, not resampled;
    # the continuation's restatement of the line is left out.
    assert buyer.text == SHORT + " It should also seat five and have a big trunk."
    assert buyer.attempts == 1 and buyer.usage.calls == 2 and {"trimmed", "extended"} <= set(buyer.notes)
    assert model.replies == []


async def test_the_opening_line_is_resampled_not_continued(car):
    model = Scripted([ASK, GOOD_SELLER, GOOD_BUYER, '{"bought": false, "product": "none", "price": null}'])
    d = await simulator(model, extend=True).run(dialogue(car), [])
    assert d.turns[0].text == GOOD_SELLER and d.turns[0].attempts == 2 and model.replies == []


OFFER = "The hybrid sedan is our best fit for you at its list price, so will you buy it today?"  # 18 words
REFUSE = "No thanks, that is more than I want to spend on a car right now."  # 15 words


def last_prompt(call: dict[str, Any]) -> str:
    return call["messages"][-1]["content"]


async def test_a_dialogue_that_only_repeats_itself_is_closed_by_asking_the_looping_line_again(car):
    model = Scripted([GOOD_SELLER, GOOD_BUYER, GOOD_SELLER, GOOD_SELLER, GOOD_SELLER, OFFER, REFUSE, DECLINE])
    sim = simulator(model)
    sim.opts.max_exchanges, sim.opts.min_exchanges = 5, 1
    d = await sim.run(dialogue(car), [])
    # Exchange 2 opens with three tries that all repeat turn 1: the line is asked again as the final offer, and the
    # customer's answer is the last line, asked for as the decision in words.
    assert [t.text for t in d.turns] == [GOOD_SELLER, GOOD_BUYER, OFFER, REFUSE]
    assert d.extra["stalled"] == {"turn": 3, "role": SALESPERSON} and "closing_after_stall" in d.turns[2].notes
    assert "final offer" not in last_prompt(model.calls[2]) and "final offer" in last_prompt(model.calls[5])
    assert GOOD_BUYER in last_prompt(model.calls[5]) and "decide now" in last_prompt(model.calls[6])
    # The retry replaces the prompt it answers: the conversation before it is the same, so its prefix stays cached.
    assert model.calls[5]["messages"][:-1] == model.calls[2]["messages"][:-1]
    assert d.outcome is not None and d.outcome.bought is False and model.replies == []
    assert d.usage.calls == 8  # the stalled line's three tries still count as spent


async def test_a_loop_before_the_minimum_exchanges_is_kept_for_the_judge(car):
    model = Scripted([GOOD_SELLER, GOOD_BUYER] + [GOOD_SELLER] * 3 + [GOOD_BUYER] * 3 + [DECLINE])
    sim = simulator(model)
    sim.opts.max_exchanges, sim.opts.min_exchanges = 2, 3
    d = await sim.run(dialogue(car), [])
    assert len(d.turns) == 4 and "stalled" not in d.extra
    assert "loop_unmet" in d.turns[2].notes and "loop_unmet" in d.turns[3].notes


async def test_the_last_exchange_is_a_final_offer_and_a_decision_in_words(car):
    model = Scripted([GOOD_SELLER, GOOD_BUYER, OFFER, REFUSE, DECLINE])
    sim = simulator(model)
    sim.opts.max_exchanges = 2
    d = await sim.run(dialogue(car), [])
    assert [t.text for t in d.turns] == [GOOD_SELLER, GOOD_BUYER, OFFER, REFUSE] and "stalled" not in d.extra
    assert "final offer" not in last_prompt(model.calls[1]) and "decide now" not in last_prompt(model.calls[1])
    assert "final offer" in last_prompt(model.calls[2]) and "decide now" in last_prompt(model.calls[3])
    # The customer decides with the budget in front of them, not only in a system prompt many turns back.
    assert f"You will pay ${d.persona.budget:,.0f} at most" in last_prompt(model.calls[3])
    # A variant without the closing texts relays the lines as usual.
    plain = Scripted([GOOD_SELLER, GOOD_BUYER, OFFER, REFUSE, DECLINE])
    sim = simulator(plain)
    sim.opts.max_exchanges = 2
    for role in (SALESPERSON, CUSTOMER):
        sim.prompts.sections[role].pop("close")
    await sim.run(dialogue(car), [])
    assert "final offer" not in last_prompt(plain.calls[2]) and "decide now" not in last_prompt(plain.calls[3])
    assert last_prompt(plain.calls[3]).startswith("The salesperson says:")


async def test_the_decision_price_is_one_stated_at_the_close(car):
    cash, under = car.min_price + 100, car.min_price - 500  # one within the floor-list window, one under the floor
    offer = f"I can do ${car.price:,.0f} with free mats, ${cash:,.0f} if you pay cash, never ${under:,.0f}."
    accept = "Fine, I will pay cash, so I'll take it at that price today."
    model = Scripted([GOOD_SELLER, GOOD_BUYER, offer, accept,
                      f'{{"bought": true, "product": "{car.name}", "price": {cash:.0f}}}'])
    sim = simulator(model)
    sim.opts.max_exchanges, sim.opts.max_words = 2, 40
    d = await sim.run(dialogue(car), [])
    # The customer said yes: only a purchase can be recorded, at one of the amounts stated at the close that the
    # product may sell at.
    schema = model.calls[-1]["json_schema"]
    assert schema["properties"]["bought"] == {"const": True}
    assert schema["properties"]["price"] == {"enum": [round(car.price), round(cash)]}
    assert d.outcome is not None and d.outcome.bought and d.outcome.price == round(cash)
    assert d.extra["said"] == "yes"
    # With no amount at the close the price is a list price of a product the talk named.
    quiet = Scripted([GOOD_SELLER, GOOD_BUYER, OFFER, accept, DECLINE])
    sim = simulator(quiet)
    sim.opts.max_exchanges = 2
    await sim.run(dialogue(car), [])
    assert quiet.calls[-1]["json_schema"]["properties"]["price"] == {"enum": [round(car.price)]}


async def test_a_closing_line_without_a_yes_or_no_is_asked_again_and_only_a_refusal_can_follow_it(car):
    vague = "It sounds nice, and I will weigh all my options at home tonight."  # 13 words, neither yes nor no
    model = Scripted([GOOD_SELLER, vague, vague, vague, DECLINE])
    d = await simulator(model).run(dialogue(car), [])
    buyer = d.turns[1]
    assert buyer.attempts == 3 and "decision_regenerated" in buyer.notes and "decision_unmet" in buyer.notes
    # No yes in words: the decision can only record a refusal, whatever the model would have said.
    assert model.calls[-1]["json_schema"]["properties"]["bought"] == {"const": False}
    assert d.extra["said"] == "unclear" and d.outcome is not None and d.outcome.bought is False
    # A decisive try is kept at once; lines before the close are not held to it.
    model = Scripted([GOOD_SELLER, vague, REFUSE, DECLINE])
    d = await simulator(model).run(dialogue(car), [])
    assert d.turns[1].text == REFUSE and d.turns[1].attempts == 2
    model = Scripted([GOOD_SELLER, vague, OFFER, REFUSE, DECLINE])
    sim = simulator(model)
    sim.opts.max_exchanges = 2
    d = await sim.run(dialogue(car), [])
    assert d.turns[1].text == vague and d.turns[1].attempts == 1
    # Both answers copied from the prompt is no decision either: asked again.
    both = "I'll take the sedan at the list price. I'll pass on it, thanks."
    model = Scripted([GOOD_SELLER, both, REFUSE, DECLINE])
    d = await simulator(model).run(dialogue(car), [])
    assert d.turns[1].text == REFUSE and "decision_regenerated" in d.turns[1].notes


async def test_the_customers_end_mark_closes_the_talk_only_with_a_yes_or_no(car):
    decided = "Great, that fits my budget, so I'll take it at the list price. [[END]]"
    model = Scripted([GOOD_SELLER, decided, f'{{"bought": true, "product": "{car.name}", "price": {car.price}}}'])
    sim = simulator(model)
    sim.opts.max_exchanges, sim.opts.min_exchanges = 5, 1
    d = await sim.run(dialogue(car), [])
    assert len(d.turns) == 2 and d.turns[1].text.endswith("list price.") and d.outcome.bought is True
    vague = "Thanks so much for your time, it was lovely chatting with you. [[END]]"  # a goodbye, no decision
    model = Scripted([GOOD_SELLER, vague, OFFER, REFUSE, DECLINE])
    sim = simulator(model)
    sim.opts.max_exchanges, sim.opts.min_exchanges = 5, 1
    d = await sim.run(dialogue(car), [])
    assert [t.text for t in d.turns][2:] == [OFFER, REFUSE] and model.replies == []
    assert "final offer" in last_prompt(model.calls[2]) and "decide now" in last_prompt(model.calls[3])


async def test_a_loop_in_the_minimum_exchange_closes_the_talk(car):
    model = Scripted([GOOD_SELLER, GOOD_BUYER] + [GOOD_SELLER] * 3 + [OFFER, REFUSE, DECLINE])
    sim = simulator(model)
    sim.opts.max_exchanges, sim.opts.min_exchanges = 5, 2
    d = await sim.run(dialogue(car), [])
    assert len(d.turns) == 4 and d.extra["stalled"] == {"turn": 3, "role": SALESPERSON} and model.replies == []


async def test_a_line_that_is_both_short_and_a_loop_is_marked_for_both(car):
    short_echo = "this sedan has a great warranty"  # 6 words (the band is 8-20), all of them from turn 1
    model = Scripted([GOOD_SELLER, short_echo, short_echo, short_echo,
                      '{"bought": false, "product": "none", "price": null}'])
    d = await simulator(model).run(dialogue(car), [])
    assert d.turns[1].text == short_echo
    assert {"word_count_unmet", "loop_unmet"} <= set(d.turns[1].notes)


async def test_a_line_that_reports_the_conversation_is_resampled(car):
    narrated = "The salesperson explains that this sedan is great for families."  # 10 words, in the band
    model = Scripted([GOOD_SELLER, narrated, GOOD_BUYER, '{"bought": false, "product": "none", "price": null}'])
    d = await simulator(model).run(dialogue(car), [])
    assert d.turns[1].text == GOOD_BUYER and d.turns[1].attempts == 2
    assert "narration_regenerated" in d.turns[1].notes


DECLINE = '{"bought": false, "product": "none", "price": null}'
ECHOING = "The price is fine, the price is fine, the price is fine, I'll take it."  # 14 words, repeats itself


def line_checked(model, tmp_path) -> Simulator:
    """The simulator with the judge panel's line check, as the pipeline wires it (repetition and accuracy)."""
    weights = tmp_path / "weights.toml"
    weights.write_text("[judges.repetition]\nweight = 1.0\nfloor = 0.5\n[judges.accuracy]\nweight = 1.0\nfloor = 0.5\n")
    panel = Panel.build(Catalog.load(), PanelOptions(min_words=8, max_words=20, max_exchanges=1,
                                                     use_llm_judge=False, weights_path=weights))
    sim = simulator(model)
    sim.line_check = panel.line_flaws
    return sim


async def test_a_sentence_the_catalog_contradicts_is_left_out_of_the_line(car, tmp_path):
    assert "sunroof" not in " ".join(car.features).lower()
    wrong = "It has a sunroof too."  # 19 words with GOOD_SELLER: within the band, nothing to trim
    d = await line_checked(Scripted([f"{GOOD_SELLER} {wrong}", GOOD_BUYER, DECLINE]), tmp_path).run(dialogue(car), [])
    seller = d.turns[0]
    assert seller.text == GOOD_SELLER and "sentence_dropped" in seller.notes and seller.attempts == 1
    # Without the check the invented features stay for the judge to find at the end.
    plain = await simulator(Scripted([f"{GOOD_SELLER} {wrong}", GOOD_BUYER, DECLINE])).run(dialogue(car), [])
    assert wrong in plain.turns[0].text and "sentence_dropped" not in plain.turns[0].notes


async def test_a_line_that_repeats_itself_is_regenerated_before_the_judge_sees_it(car, tmp_path):
    d = await line_checked(Scripted([GOOD_SELLER, ECHOING, GOOD_BUYER, DECLINE]), tmp_path).run(dialogue(car), [])
    buyer = d.turns[1]
    assert buyer.text == GOOD_BUYER and buyer.attempts == 2 and "repetition_regenerated" in buyer.notes
    plain = await simulator(Scripted([GOOD_SELLER, ECHOING, DECLINE])).run(dialogue(car), [])
    assert plain.turns[1].text == ECHOING  # the simulator's own 4-gram loop check does not see it


async def test_a_line_the_judges_object_to_in_every_try_closes_the_dialogue(car, tmp_path):
    model = Scripted([GOOD_SELLER, GOOD_BUYER, ECHOING, ECHOING, ECHOING, OFFER, REFUSE, DECLINE])
    sim = line_checked(model, tmp_path)
    sim.opts.max_exchanges, sim.opts.min_exchanges = 5, 1
    d = await sim.run(dialogue(car), [])
    assert [t.text for t in d.turns] == [GOOD_SELLER, GOOD_BUYER, OFFER, REFUSE]
    assert d.extra["stalled"] == {"turn": 3, "role": SALESPERSON} and model.replies == []


async def test_the_decision_offers_only_products_the_talk_named(tmp_path):
    cars = Catalog.load().in_category("car")
    car, named, unnamed = cars[0], cars[1], cars[2]
    pitch = f"If you want something newer, the {named.name} is also on the lot."
    compare = "Fair enough, both cars sound good to me, so I'll take one of them today."
    model = Scripted([GOOD_SELLER, GOOD_BUYER, pitch, compare, DECLINE])
    sim = simulator(model)
    sim.opts.max_exchanges, sim.opts.max_words = 2, 40
    d = await sim.run(dialogue(car), [named, unnamed])
    assert pitch in d.turns[2].text
    enum = model.calls[-1]["json_schema"]["properties"]["product"]["enum"]  # a yes: only a purchase
    assert enum == [car.name, named.name]  # the product in play always; an alternative only once it was named
    # A yes that names the product and the price: only that product, only that price.
    chosen = f"I'll take the {named.name} at ${named.price:,.0f}, it suits me better."
    model = Scripted([GOOD_SELLER, GOOD_BUYER, pitch, chosen, DECLINE])
    sim = simulator(model)
    sim.opts.max_exchanges, sim.opts.max_words = 2, 40
    await sim.run(dialogue(car), [named, unnamed])
    schema = model.calls[-1]["json_schema"]["properties"]
    assert schema["product"]["enum"] == [named.name] and schema["price"] == {"enum": [round(named.price)]}
    # A yes to the alternative that names no price is not a purchase of it at the price said of the other car.
    assert not (named.min_price or named.price) <= car.price <= named.price
    chosen = f"Fine, I'm going to go with the {named.name} then, it suits me better."
    model = Scripted([GOOD_SELLER, GOOD_BUYER, f"The {car.name} is ${car.price:,.0f} today.", chosen, DECLINE])
    sim = simulator(model)
    sim.opts.max_exchanges, sim.opts.max_words = 2, 40
    await sim.run(dialogue(car), [named, unnamed])
    schema = model.calls[-1]["json_schema"]["properties"]
    assert schema["product"]["enum"] == [named.name] and schema["price"] == {"enum": [round(named.price)]}


async def test_a_yes_the_persona_cannot_pay_is_asked_again_and_a_budget_is_not_a_price(car):
    # Seen in generated closes: "I'll take the Tacoma at $70,000" (list $44,400; $70,000 was the customer's budget),
    # recorded as a sale above the sticker and kept. Such a yes is asked again, like a line with no decision.
    above = f"Great, I'll take it at ${car.price * 1.15:,.0f}, that is what I set aside."
    model = Scripted([GOOD_SELLER, above, REFUSE, DECLINE])
    d = await simulator(model).run(dialogue(car), [])
    assert d.turns[1].text == REFUSE and "decision_regenerated" in d.turns[1].notes
    # A yes under the discount floor (the model named its budget as the price) is no sale either.
    if car.min_price is not None:
        below = f"Great, I'll take it at ${car.min_price * 0.9:,.0f}, that is what I set aside."
        model = Scripted([GOOD_SELLER, below, REFUSE, DECLINE])
        d = await simulator(model).run(dialogue(car), [])
        assert d.turns[1].text == REFUSE and "decision_regenerated" in d.turns[1].notes
    # A yes at the list price over a budget the persona may not stretch: asked again; one who may stretch: kept.
    accept = "Fine, that works for me, so I'll take it at the list price today."
    for stretch, kept in ((False, REFUSE), (True, accept)):
        poor = dialogue(car)
        poor.persona.budget, poor.persona.over_budget_ok = car.price * 0.9, stretch
        model = Scripted([GOOD_SELLER, accept, REFUSE, DECLINE])
        d = await simulator(model).run(poor, [])
        assert d.turns[1].text == kept, stretch
    # An amount above every named product's list price stated at the close is a budget, not a price on offer.
    offer = f"For your budget of ${car.price * 1.15:,.0f}, the list price of ${car.price:,.0f} is my best. Deal?"
    yes = "Fine, I'll take it today, thank you so much for your time."
    model = Scripted([GOOD_SELLER, GOOD_BUYER, offer, yes,
                      f'{{"bought": true, "product": "{car.name}", "price": {car.price:.0f}}}'])
    sim = simulator(model)
    sim.opts.max_exchanges, sim.opts.max_words = 2, 40
    d = await sim.run(dialogue(car), [])
    assert model.calls[-1]["json_schema"]["properties"]["price"] == {"enum": [round(car.price)]}
    assert d.outcome is not None and d.outcome.bought and d.outcome.price == round(car.price)


async def test_the_customer_decides_on_the_offer_as_said_and_how_it_stands_against_the_budget(car):
    """Seen in generated closes: "I'll take the Breville at $680" (the budget; floor $749). The closing request now
    quotes the final offer read off the salesperson's line, and says how it stands against the budget."""
    assert car.min_price is not None and car.min_price < car.price
    deal = (car.min_price + car.price) / 2
    offer = f"For the {car.name} I can do ${deal:,.0f} instead of ${car.price:,.0f}. Will you take it today?"
    model = Scripted([GOOD_SELLER, GOOD_BUYER, offer, REFUSE, DECLINE])
    sim = simulator(model)
    sim.opts.max_exchanges, sim.opts.max_words = 2, 40
    d = await sim.run(dialogue(car), [])
    ask = last_prompt(model.calls[3])
    # The last amount the product can sell for is the offer; the name is the one people say (no year, no "Used").
    said = f"{core_name(car)} at ${deal:,.0f}"
    assert car.name.startswith("Used 2014") and said.startswith("Hyundai Elantra GLS at")
    assert f"decide now on the final offer, the {said}" in ask and f"say that you take the {said}, or" in ask
    assert f"${deal:,.0f} is within your budget of ${d.persona.budget:,.0f}" in ask
    assert d.extra["offer"] == {"product_id": car.id, "price": round(deal), "stated": True}
    # An amount under the discount floor is no offer of this product: the list price is, and over a smaller budget
    # the request says by how much.
    cheap = f"For the {car.name} I could even do ${car.min_price * 0.8:,.0f}. Will you take it today?"
    model = Scripted([GOOD_SELLER, GOOD_BUYER, cheap, REFUSE, DECLINE])
    sim = simulator(model)
    sim.opts.max_exchanges, sim.opts.max_words = 2, 40
    poor = dialogue(car)
    poor.persona.budget = car.price - 400
    d = await sim.run(poor, [])
    ask = last_prompt(model.calls[3])
    assert f"at ${car.price:,.0f}." in ask and f"${car.price:,.0f} is $400 over your budget" in ask
    assert d.extra["offer"] == {"product_id": car.id, "price": car.price, "stated": False}
    # That persona may not stretch its budget: it has decided, and is asked for the refusal in words only. One who
    # may stretch is asked for either answer.
    assert "turn it down" in ask and "you take the" not in ask and "say that you pass on it" in ask
    model = Scripted([GOOD_SELLER, GOOD_BUYER, cheap, REFUSE, DECLINE])
    sim = simulator(model)
    sim.opts.max_exchanges, sim.opts.max_words = 2, 40
    stretch = dialogue(car)
    stretch.persona.budget, stretch.persona.over_budget_ok = car.price - 400, True
    await sim.run(stretch, [])
    ask = last_prompt(model.calls[3])
    assert "turn it down" not in ask and f"say that you take the {core_name(car)} at ${car.price:,.0f}" in ask


async def test_a_line_that_copies_an_earlier_sentence_keeps_its_new_words(car, tmp_path):
    fresh = "No thanks, that is more than I want to spend."  # 10 words, a no
    model = Scripted([GOOD_SELLER, f"{GOOD_SELLER} {fresh}", DECLINE])
    sim = line_checked(model, tmp_path)
    sim.opts.max_words = 40
    d = await sim.run(dialogue(car), [])
    buyer = d.turns[1]
    # Repaired, not resampled: the copied sentence is left out and the rest kept from the first try.
    assert buyer.text == fresh and buyer.attempts == 1 and "sentence_dropped" in buyer.notes


async def test_a_closing_line_that_reopens_the_talk_after_its_decision_is_asked_again(car):
    """Seen in a generated close: "I'll take the Lexus ES 350 at $44,400. ... Do you have any other options?" """
    reopened = "Fine, I'll take it at the list price. Do you have any other options?"  # 14 words
    model = Scripted([GOOD_SELLER, reopened, REFUSE, DECLINE])
    d = await simulator(model).run(dialogue(car), [])
    assert d.turns[1].text == REFUSE and "decision_regenerated" in d.turns[1].notes
    # A continuation that takes back the short line's decision is refused: the decision stays the line's end.
    short, more = "Fine, I'll take it today.", "But do you have any other options for me?"
    model = Scripted([GOOD_SELLER, short, more, short, short, DECLINE])
    d = await simulator(model, extend=True).run(dialogue(car), [])
    buyer = d.turns[1]
    assert buyer.text == short and buyer.notes.count("extension_refused") == 1 and "decision_unmet" not in buyer.notes
    # A yes whose line also names the budget is a yes at the price its own sentence says.
    budget = dialogue(car).persona.budget
    yes = f"My budget was ${budget:,.0f}, so this works for me. I'll take it at ${car.price:,.0f} today."
    model = Scripted([GOOD_SELLER, yes, DECLINE])
    d = await simulator(model).run(dialogue(car), [])
    assert d.turns[1].text == yes and d.turns[1].attempts == 1


async def test_a_sentence_that_reads_the_instruction_back_is_left_out(car):
    """Seen in a replayed close: "Buy only if that price is within what I will pay and the product has my
    must-haves, otherwise pass." in the customer's own line."""
    echo = "Buy only if that price is within what I will pay and the product has my must-haves, otherwise pass."
    model = Scripted([GOOD_SELLER, f"{echo} {REFUSE}", DECLINE])
    sim = simulator(model)
    sim.opts.max_words = 40
    d = await sim.run(dialogue(car), [])
    buyer = d.turns[1]
    assert buyer.text == REFUSE and buyer.attempts == 1 and "echo_dropped" in buyer.notes
    # The decision in the close's own words is the answer, not an echo.
    said = f"I take the {core_name(car)} at ${car.price:,.0f}."
    model = Scripted([GOOD_SELLER, GOOD_BUYER, OFFER, f"It fits my needs and my budget well. {said}", DECLINE])
    sim = simulator(model)
    sim.opts.max_exchanges, sim.opts.max_words = 2, 40
    d = await sim.run(dialogue(car), [])
    assert d.turns[3].text.endswith(said) and "echo_dropped" not in d.turns[3].notes


async def test_a_closing_line_too_long_keeps_its_decision_at_the_end(car):
    reasons = "It has the space I need for the kids. The warranty covers the long drives we do. "
    line = reasons + "My partner liked the color on the lot too. I'll pass on it, since the price is too much."
    model = Scripted([GOOD_SELLER, line, DECLINE])  # 37 words; the band here is 8-20
    d = await simulator(model).run(dialogue(car), [])
    buyer = d.turns[1]
    assert buyer.text.endswith("I'll pass on it, since the price is too much.") and "trimmed" in buyer.notes
    assert buyer.attempts == 1 and d.extra["said"] == "no"
