"""The sales policies played out without a voice, over many seeded personas: the rules hold whatever is said."""
from __future__ import annotations

import collections
import re
from itertools import pairwise

import pytest
from fixtures.loader import shared_panel

from salesgen.app.pipeline import alternatives
from salesgen.core.catalog import Catalog
from salesgen.core.dialogue import CUSTOMER, SALESPERSON, Dialogue
from salesgen.core.mentions import core_name
from salesgen.core.words import sentences
from salesgen.generate.moves import Blemish
from salesgen.scenarios import scenario
from salesgen.scenarios.sales.claims import numbers_with_units
from salesgen.scenarios.sales.decisions import UNCLEAR, decision_words
from salesgen.scenarios.sales.episode import spec_text
from salesgen.scenarios.sales.personas import load_persona_config, sample_pair
from salesgen.scenarios.sales.policy import REACH, floor_of, has_feature
from salesgen.scenarios.sales.prices import find_money, money, same_amount

SEEDS = range(400)


@pytest.fixture(scope="module")
def world():
    catalog = Catalog.load()
    cfg = load_persona_config()
    sc = scenario("sales", catalog=catalog, seller_names=["Alex"], stores={"default": "Shop", "car": "Cars"},
                  behaviours={**cfg.personalities, **cfg.temperaments}, stretch=cfg.over_budget_stretch, car=cfg.car)
    return catalog, cfg, sc


def play(world, index: int, max_exchanges: int = 5, compare: bool = False, prompts: list[str] | None = None,
         append: bool | None = None):
    """One planned dialogue, moves only: every line is the empty string, so no word can steer a policy. With
    `compare`, the customer knows the alternatives a run gives it (and may ask to compare); `prompts` collects each
    line's request, the line before it said as "THE OTHER SIDE'S OWN WORDS"."""
    catalog, cfg, sc = world
    persona, product = sample_pair(3, index, catalog.products, cfg)
    d = Dialogue(id=f"t{index}", index=index, persona=persona, product=product, seed=3)
    ep = sc.episode(d, alternatives(product, catalog) if compare else [], f"3:{index}", max_exchanges, (50, 75))
    if append is not None:  # voice.toml [end] append, either way
        ep.append_end = append
    moves = []
    for i in range(2 * max_exchanges):
        move = ep.next_move((SALESPERSON, CUSTOMER)[i % 2])
        moves.append(move)
        if prompts is not None:
            prompts.append(ep.prompt(move, "THE OTHER SIDE'S OWN WORDS" if i else None))
        ep.heard(move, "")
        if move.final:
            break
    return d, ep, moves, cfg.over_budget_stretch


def test_every_dialogue_ends_in_a_decision_within_the_exchange_limit(world):
    lengths = set()
    for i in SEEDS:
        d, ep, moves, _ = play(world, i)
        assert moves[-1].role == CUSTOMER and moves[-1].act in ("accept", "decline"), moves[-1].act
        assert len(moves) <= 10 and len(moves) % 2 == 0
        assert ep.outcome().bought is (moves[-1].act == "accept")
        lengths.add(len(moves) // 2)
    assert {2, 3, 4, 5} <= lengths  # the arc varies with persona and seed


def test_a_customer_over_budget_who_may_not_stretch_never_buys(world):
    checked = 0
    for i in SEEDS:
        d, ep, moves, stretch = play(world, i)
        o = ep.outcome()
        limit = d.persona.budget * (stretch if d.persona.over_budget_ok else 1.0)
        if o.bought:
            assert o.price <= limit + 0.01, (d.id, o.price, d.persona.budget)
            checked += not d.persona.over_budget_ok
    assert checked > 20


def test_a_customer_never_counters_above_what_it_would_pay(world):
    # Else a seller that meets the counter hears it turned down.
    counters = 0
    for i in SEEDS:
        d, ep, moves, stretch = play(world, i)
        limit = d.persona.budget * (stretch if d.persona.over_budget_ok else 1.0)
        for m in moves:
            if m.role == CUSTOMER and m.slots.get("counter"):
                assert m.slots["counter"] <= limit + 0.01, (d.id, m.slots["counter"], limit)
                counters += 1
    assert counters > 30


def test_a_customer_turns_an_offer_down_for_no_discount_only_after_asking_for_one(world):
    # A discount-seeker turned down a $25,200 sedan under its $30,000 budget "for no discount" without asking.
    declined = 0
    for i in SEEDS:
        d, ep, moves, _ = play(world, i)
        last = moves[-1]
        if last.act == "decline" and last.slots.get("reason") == "no_discount":
            declined += 1
            asked = [m for m in moves if m.act == "ask_discount" and m.slots.get("product") == last.slots["product"]]
            assert asked, (d.id, [(m.act, m.slots.get("product")) for m in moves])
    assert declined > 3


def test_the_customer_asks_only_about_terms_the_product_has(world):
    by_name = {p.name: p for p in world[0].products}
    asked = 0
    for i in SEEDS:
        d, ep, moves, _ = play(world, i)
        for m in moves:
            if m.act == "ask_policy":
                asked += 1
                terms = str(by_name[m.slots["product"]].policies.get(m.slots["policy"], ""))
                assert not terms.lower().startswith("not applicable"), (d.id, m.slots)
    assert asked > 20


def test_no_price_offered_or_sold_below_the_floor_or_above_the_list(world):
    catalog = world[0]
    by_name = {p.name: p for p in catalog.products}
    for i in SEEDS:
        d, ep, moves, _ = play(world, i)
        for m in moves:
            if m.role == SALESPERSON and m.slots.get("price") is not None:
                p = by_name[m.slots["product"]]
                assert floor_of(p) - 0.01 <= m.slots["price"] <= p.price + 0.01, (d.id, m.act, m.slots)
        o = ep.outcome()
        if o.bought:
            p = catalog.get(o.product_id)
            assert floor_of(p) - 0.01 <= o.price <= p.price + 0.01


def test_discounts_come_only_after_the_customer_asks(world):
    seen = 0
    for i in SEEDS:
        _, _, moves, _ = play(world, i)
        for k, m in enumerate(moves):
            if m.act == "discount":
                seen += 1
                assert moves[k - 1].act == "ask_discount"
    assert seen > 10


def test_the_seller_never_states_the_budget_before_the_customer_does(world):
    catalog = world[0]
    for i in SEEDS:
        d, ep, moves, _ = play(world, i)
        for m in moves:
            if m.role == CUSTOMER and m.slots.get("budget"):
                break  # said: from here on the seller may use it
            if m.role != SALESPERSON:
                continue
            # Only the amounts of its own slots (prices of products it names) may reach the seller's words.
            named = [p for p in catalog.products if p.name in (m.slots.get("alt"), m.slots.get("product"))]
            slot_amounts = [m.slots.get(k) for k in ("price", "old_price")] + [p.price for p in named] + \
                [x.value for p in named for x in find_money(f"{p.policies} {p.specs}")] + \
                [v for p in named for v in p.specs.values() if isinstance(v, int | float)]
            for text in [m.brief, *m.openers]:
                for x in find_money(text):
                    assert any(a is not None and same_amount(x.value, a) for a in slot_amounts), (d.id, m.act, x)


def test_the_customer_decides_on_the_offer_it_heard(world):
    for i in SEEDS:
        d, ep, moves, _ = play(world, i)
        last_offer = next(m for m in reversed(moves[:-1]) if m.role == SALESPERSON and m.slots.get("price"))
        decision = moves[-1]
        assert decision.slots["product"] == last_offer.slots["product"]
        assert same_amount(decision.slots["price"], last_offer.slots["price"])
        if decision.act == "accept":
            assert any(o.startswith(("I'll take", "Alright", "Okay", "Fine")) and "$" in o for o in decision.openers)


def test_a_recommendation_that_lacks_a_must_have_says_so_in_its_opening_words(world):
    seen = 0
    for i in SEEDS:
        _, _, moves, _ = play(world, i)
        for m in moves:
            if m.act == "recommend" and m.slots.get("lacks"):
                seen += 1
                assert m.openers and all(any(f in o for f in m.slots["lacks"]) and ("not have" in o or "has no" in o)
                                         for o in m.openers), m.openers
    assert seen  # some personas want what the fitting product lacks


def test_the_customer_never_asks_about_a_must_have_the_seller_already_answered(world):
    asked_again = []
    for i in SEEDS:
        d, _, moves, _ = play(world, i)
        answered: set[tuple[str, str]] = set()
        for m in moves:
            product = m.slots.get("product")
            if m.role == SALESPERSON:
                # Said in the slots, or among the facts the seller's line was given to say.
                stated = [f for f in d.persona.preferred_features if f.lower() in m.brief.lower()]
                for f in (m.slots.get("met") or []) + (m.slots.get("lacks") or []) + stated:
                    answered.add((product, f))
                if m.act in ("feature_yes", "feature_no"):
                    answered.add((product, m.slots["feature"]))
            elif m.act == "ask_feature" and (product, m.slots["feature"]) in answered:
                asked_again.append((i, product, m.slots["feature"]))
    assert not asked_again, asked_again[:5]


def _brief_facts(brief: str) -> list[str]:
    """The facts a seller's brief lists: the points that end in "...: fact; fact; fact"."""
    return [f for line in brief.splitlines() if "; " in line and ": " in line
            for f in line.split(": ", 1)[1].split("; ")]


def test_the_seller_gives_a_fact_again_only_when_it_has_no_fresh_one(world):
    catalog, _, _ = world
    checked = 0
    for i in range(120):
        d, ep, moves, _ = play(world, i)
        told: dict[str, set[str]] = {}
        for m in moves:
            p = m.slots.get("product")
            if m.role != SALESPERSON or not p or m.act in ("compare",):
                continue
            product = next(x for x in catalog.products if x.name == p)
            facts = _brief_facts(m.brief)
            before = told.setdefault(p, set())
            # The must-have asked about is said again on purpose; any other fact repeats only when all are told.
            # (and a fact the customer's own needs name is in the brief as their need).
            asked = {m.slots.get("feature"), *(m.slots.get("met") or [])} | \
                {f for f in product.features if f.lower() in (d.persona.needs or "").lower()}
            for f in facts:
                if f in before and f not in asked:
                    kind = product.features if f in product.features else [x for x in before
                                                                            if x not in product.features]
                    pool = product.features if f in product.features else product.specs
                    assert len([x for x in before if x in kind]) >= len(pool) - len(asked), (d.id, f, before)
            checked += bool(before)
            before.update(facts + (m.slots.get("met") or []))  # "it has X, as they asked" tells X too
    assert checked > 50  # seller lines about a product already described


def test_the_customer_is_asked_to_answer_the_sellers_question(world):
    answered = 0
    for i in range(120):
        d, ep, moves, _ = play(world, i)
        questions = {a["question"] for a in ep.texts[SALESPERSON]["questions"]}
        for ask, reply in pairwise(moves):
            if ask.role != SALESPERSON or ask.closer not in questions:  # the greeting's, or the final offer's
                continue
            asked = next(a["answer"] for a in ep.texts[SALESPERSON]["questions"] if a["question"] == ask.closer)
            head = asked.split("{")[0]
            answer = next(x[2:] for x in reply.brief.splitlines() if x[2:].startswith(head) and x[2:].endswith("."))
            # A statement the rules filled, not "when you need it": told that, the customer asked it back; nor
            # labelled "answer their question: …", which the customer said as speech.
            assert "{" not in answer and answer.split()[0].lower() not in ("what", "when", "how", "why", "answer")
            answered += 1
    assert answered > 30


def offers(world, acts: tuple[str, ...]):
    """(dialogue, episode, move, product offered) for every seller move of `acts` over the seeds."""
    for i in SEEDS:
        d, ep, moves, _ = play(world, i)
        for m in moves:
            if m.role == SALESPERSON and m.act in acts:
                yield d, ep, m, next(x for x in ep.seller.lot if x.name == m.slots["product"])


def test_the_seller_offers_a_product_that_answers_the_request_when_the_lot_has_one(world):
    """A product of the wanted type or with a stated must-have, never a mattress that fits a sofa shopper's budget."""
    offered = 0
    for d, ep, _, p in offers(world, ("recommend", "cheaper", "feature_switch")):
        if any(ep.seller.relevant(x) for x in ep.seller.lot):
            assert ep.seller.relevant(p), (d.id, d.persona.needs, p.name)
            offered += 1
    assert offered > 300


def test_a_recommendation_of_another_type_than_asked_says_so(world):
    said = 0
    for d, ep, m, p in offers(world, ("recommend", "cheaper")):
        if wanted := ep.seller.said.get("type"):
            if p.body_type != wanted and {wanted, p.body_type} <= set(ep.seller.shapes):
                if m.act == "recommend":
                    assert "honestly" in m.brief and ep._a_type(wanted) in m.brief, (d.id, m.brief)
                if not m.slots.get("lacks"):  # and in the opening words, which a lack takes otherwise
                    assert all(ep._a_type(wanted) in o for o in m.openers), (d.id, m.openers)
                said += 1
            elif p.body_type != wanted and any(x.body_type == wanted for x in ep.seller.lot):
                # Luxury and electric cut across shapes: a Lexus ES is not "a luxury car, not a sedan".
                assert f"not {ep._a_type(wanted)}" not in m.brief, (d.id, m.brief)
    assert said > 0


def test_a_preferred_brand_the_seller_hears_is_said_after_the_customers_opening_words(world):
    said = 0
    for i in range(120):
        d, ep, moves, _ = play(world, i)
        first = moves[1]
        assert first.act == "state_needs"
        brand = first.slots.get("brand")
        assert ep.seller.said.get("brand") == brand  # what the seller's rules hear is what the words say
        if brand:
            assert all(sentences(o)[-1] in {b.format(brand=brand) for b in ep.texts["openers"]["brand"]}
                       for o in first.openers), first.openers
            assert brand not in first.brief, first.brief
            said += 1
    assert said > 10


def test_a_recommendation_of_another_brand_than_preferred_says_so(world):
    said = opened = 0
    for d, ep, m, p in offers(world, ("recommend",)):
        brand = ep.seller.said.get("brand")
        assert (m.slots.get("not_brand") is not None) is bool(brand and p.brand != brand), (d.id, brand, p.brand)
        if brand and p.brand != brand:
            assert f"not {ep._values(m)['a_not_brand']}" in m.brief, (d.id, m.brief)
            budget = ep.seller.said.get("budget")
            if not (m.slots.get("lacks") or m.slots.get("not_type") or (budget and m.slots["price"] > budget)):
                # the opening words, unless a lack, another type or a price over the budget said take them
                assert all(f"is not {ep._values(m)['a_not_brand']}, but" in o for o in m.openers), (d.id, m.openers)
                opened += 1
            said += 1
    assert said > 0 and opened > 0


def test_the_last_line_may_not_ask_a_question(world):
    d, ep, moves, _ = play(world, 0)
    last = moves[-1]
    assert last.final
    opener = last.openers[0]
    said = f"{opener} It fits what I need and I am glad I came in today. Thank you for your patience with me."
    assert "asks a question after the decision" not in ep.check(last, said, [])
    assert "asks a question after the decision" in ep.check(last, said + " Do you have any other options?", [])
    # Worded as a question without its "?" (a grammar allows none in the last line): a blemish, not a fault.
    for reopened in ("Is there anything else I should know.", "Could you lower it and offer a bundle deal."):
        found = [p for p in ep.check(last, f"{said} {reopened}", []) if p.startswith("asks a question after")]
        assert found and all(isinstance(p, Blemish) for p in found), found
    assert not [p for p in ep.check(last, said + " When I get home, I will set it up.", []) if "question" in p]


def test_a_buyer_says_what_it_does_next(world):
    checked = 0
    for i in range(60):
        d, ep, moves, _ = play(world, i)
        if moves[-1].act != "accept":
            continue
        after = ep.texts["after"]
        told = after.get(d.persona.category) or after["default"]
        assert any(x in moves[-1].brief for x in told), (d.id, moves[-1].brief)
        checked += 1
    assert checked > 20, checked


def test_a_customer_compares_only_with_a_product_it_would_weigh(world):
    compared = 0
    for i in SEEDS:
        d, ep, moves, _ = play(world, i, compare=True)
        for m in moves:
            if m.act == "ask_compare":
                alt, p = ep.products[m.slots["alt"]], d.persona
                assert (p.preferred_type and alt.body_type == p.preferred_type) or any(
                    has_feature(alt, f) for f in p.preferred_features), (d.id, alt.name, p.preferred_features)
                compared += 1
    assert compared > 20, compared


def test_a_customer_saying_the_cheaper_product_costs_more_is_a_problem(world):
    catalog = world[0]
    d, ep, moves, _ = play(world, 0)
    line = moves[1]
    cars = sorted(catalog.in_category("car"), key=lambda p: p.price)
    cheap, dear = cars[0], cars[-1]
    wrong = f"{line.openers[0]} I hear the {cheap.name} costs more than the {dear.name}."
    right = f"{line.openers[0]} I hear the {dear.name} costs more than the {cheap.name}."
    assert [p for p in ep.check(line, wrong, []) if "costs" in p and "but" in p], ep.check(line, wrong, [])
    assert not [p for p in ep.check(line, right, []) if "costs" in p and "but" in p]


def test_a_goodbye_before_the_last_line_is_a_problem(world):
    d, ep, moves, _ = play(world, 0)
    first = moves[1]
    said = f"{first.openers[0]} I keep a car for a long time, so it has to last. Thank you."
    assert "says goodbye before the end" not in ep.check(first, said, [])
    assert "says goodbye before the end" in ep.check(first, said + " Goodbye.", [])
    assert "says goodbye before the end" not in ep.check(moves[-1], moves[-1].openers[0] + " Goodbye.", [])


def test_a_customer_line_naming_a_product_the_store_does_not_have_is_written_again(world):
    _, ep, moves, _ = play(world, 0)
    m = next(x for x in moves if x.role == CUSTOMER)
    line = f"{m.openers[0] if m.openers else ''} I have been reading about phones and cars all week long."
    assert not [p for p in ep.check(m, line, []) if "store does not have" in p]
    # BMW is a catalog brand; the X3 is not in the catalog (the seller later said "definitely go with the X3").
    problems = ep.check(m, line + " Would you consider the BMW X3 instead?", [])
    assert "names the BMW X3, which the store does not have" in problems


def test_a_customer_who_says_its_budget_at_the_start_says_it_in_the_opening_words(world):
    said = 0
    for i in SEEDS:
        d, ep, moves, _ = play(world, i)
        first = moves[1]
        assert first.act == "state_needs"
        if first.slots.get("budget"):
            amount = first.slots["budget"]
            assert all(any(same_amount(amount, m.value) for m in find_money(o)) for o in first.openers), first.openers
            assert not find_money(first.brief), first.brief  # not said twice
            said += 1
    assert said > 50


def test_the_customer_says_its_must_haves_in_the_opening_words(world):
    said = 0
    for i in SEEDS:
        d, ep, moves, _ = play(world, i)
        first = moves[1]
        for o in first.openers:  # each of them, as the catalog names them; none when it has none
            assert all(f in o for f in d.persona.preferred_features), (d.id, o)
            assert (" must" in o) == bool(d.persona.preferred_features), (d.id, o)
        said += bool(d.persona.preferred_features)
    assert said > 100


def test_the_customer_reacts_to_the_offer_by_its_rules_never_with_the_sellers_figures(world):
    """A must-have the seller said it lacks, a discount, a held price: the reaction is the customer's reading of the
    seller's last act, and carries no figure but those of its own must-haves."""
    seen = set()
    for i in SEEDS:
        d, ep, moves, _ = play(world, i)
        reactions = ep.texts["reactions"]
        starts = tuple(f"- {r.split('{')[0]}" for r in reactions.values())
        for said, reply in pairwise(moves):
            if reply.role != CUSTOMER or not reply.act.startswith("ask_"):
                continue
            lines = reply.brief.splitlines()
            if said.act == "feature_no":
                assert f"- {reactions['feature_no'].format(feature=said.slots['feature'])}" in lines, reply.brief
                seen.add("feature_no")
            if said.act == "hold":
                assert f"- {reactions['hold']}" in lines, (d.id, reply.brief)
                seen.add("hold")
            if said.act == "recommend" and said.slots.get("lacks"):
                assert any("let down" in x for x in lines), (d.id, reply.brief)
                seen.add("lacks")
            reaction = next(x for x in lines if x.startswith(starts))
            for f in d.persona.preferred_features:
                reaction = reaction.replace(f, "")
            assert not any(c.isdigit() for c in reaction), (d.id, reaction)
    assert {"feature_no", "hold", "lacks"} <= seen, seen


def _why(ep, d, last) -> dict[str, str]:
    """The values a decline's reason and next step are said with."""
    return {"features": last.slots.get("features") or "", "price": money(last.slots.get("price") or 0),
            "a_type": ep._a_type(d.persona.preferred_type or "")}


def test_a_customer_told_the_offer_is_not_the_type_it_came_for_never_buys_it(world):
    told = 0
    for i in SEEDS:
        d, ep, moves, _ = play(world, i)
        other = {m.slots["product"] for m in moves if m.role == SALESPERSON
                 and (m.slots.get("not_type") or m.slots.get("no_type"))}
        if not other:
            continue
        told += 1
        last = moves[-1]
        assert not (last.act == "accept" and last.slots["product"] in other), (d.id, last.slots)
        if last.slots.get("product") in other:
            assert last.slots["reason"] == "other_type", (d.id, last.slots)
            told_at = next(k for k, m in enumerate(moves) if m.slots.get("product") in other)
            assert len([m for m in moves[told_at:] if m.role == CUSTOMER]) <= 2  # heard out once, then gone
    assert told >= 3, told  # 6 of 400 seeds


def test_a_declining_customer_is_told_one_next_step_from_its_reason(world):
    declined = 0
    for i in SEEDS:
        d, ep, moves, _ = play(world, i)
        last = moves[-1]
        if last.act != "decline":
            continue
        step = ep.texts["next"][last.slots["reason"]].format(**_why(ep, d, last))
        assert f"- I will {step}" in last.brief.splitlines(), (d.id, last.brief)
        assert " or " not in step.replace(last.slots.get("features") or "\0", "")  # one step, not a choice to ask
        declined += 1
    assert declined > 30


def test_a_decisions_reason_is_said_word_for_word_after_the_decision(world):
    """A decline's reason, an acceptance's must-haves met: the rules know them, the opening words say them."""
    seen = collections.Counter()
    for i in SEEDS:
        d, ep, moves, _ = play(world, i)
        last = moves[-1]
        if last.act == "decline":
            reason = ep.texts["reasons"][last.slots["reason"]].format(**_why(ep, d, last))
            assert all(o.endswith(f". {reason}") for o in last.openers), (d.id, last.openers)
            assert reason not in last.brief, (d.id, last.brief)  # said once
        elif last.act == "accept":
            product = ep.products[last.slots["product"]]
            met = [f for f in d.persona.preferred_features if has_feature(product, f)]
            if not met:
                continue
            fit = ep.texts["customer"]["fit_met"]["all" if len(met) == len(d.persona.preferred_features) else "some"]
            assert all(o.endswith(f". {fit}") for o in last.openers), (last.openers, fit)
            assert fit not in last.brief
        seen[last.act] += 1
    assert seen["decline"] > 30 and seen["accept"] > 30, seen


def test_the_customer_first_line_is_asked_without_a_greeting_to_narrate(world):
    # Told "The salesperson greets you", the 1.5B customer said "The salesperson greets you with a friendly smile."
    for i in range(20):
        prompts: list[str] = []
        d, ep, moves, _ = play(world, i, prompts=prompts)
        assert moves[1].act == "state_needs"
        first = prompts[1]
        assert "greets" not in first and "The salesperson" not in first and "OWN WORDS" not in first, first
        assert moves[1].brief in first and "greeted you" in first


def test_the_greeting_names_only_brands_the_store_has_after_its_opening_words(world):
    for i in range(60):
        d, ep, moves, _ = play(world, i)
        greet = moves[0]
        stocks = {sentences(o)[-1] for o in greet.openers}
        assert len(stocks) == 1 and len(sentences(greet.openers[0])) == 2, greet.openers  # every opener, the same
        stock = stocks.pop()
        assert "in stock" in stock and "in stock" not in greet.brief
        brands = {p.brand for p in ep.seller.lot if p.brand}
        named = [b for b in {p.brand for p in world[0].products if p.brand} if b in stock]
        assert named and set(named) <= brands, (d.id, stock)
        assert ("among others" in stock) == (len(brands) > len(named)), (d.id, stock)


def comparisons(world, seeds: range):
    """(dialogue, episode, move, product, the other product, the verdict) for every comparison the seller makes over
    the seeds, the customer knowing the run's alternatives. The verdict is its fact, the opening words' sentence
    after the prices ("" if none), then its point in the brief."""
    by_name = {p.name: p for p in world[0].products}
    for i in seeds:
        d, ep, moves, _ = play(world, i, compare=True)
        for m in moves:
            if m.act == "compare":
                facts = {" ".join(sentences(o)[1:]) for o in m.openers}
                assert len(facts) == 1, m.openers  # every opener says the same verdict
                yield d, ep, m, by_name[m.slots["product"]], by_name[m.slots["alt"]], \
                    f"{facts.pop()} | {m.brief.splitlines()[2]}"


def test_a_comparison_says_the_prices_and_the_verdict_as_the_catalog_has_them(world):
    compared = 0
    for d, _, m, p, alt, verdict in comparisons(world, range(400)):
        price = m.slots["price"]
        word = "less" if price < alt.price else "more" if price > alt.price else "no more"
        assert any(f"costs {word} than" in o for o in m.openers), (d.id, price, alt.price, m.openers)
        if " has " in verdict.split(" | ")[0]:  # "Only the A has X." in the opening words
            better = p if verdict.startswith(f"Only the {core_name(p)} has") else alt
            other = alt if better is p else p
            has = verdict.split(": ", 1)[1].split(". | ")[0]
            for f in d.persona.preferred_features:
                if f in has:
                    assert has_feature(better, f) and not has_feature(other, f), (d.id, verdict)
            assert f"so the {core_name(better)} is the better fit" in verdict, verdict
        compared += 1
    assert compared > 20


def test_a_comparison_prefers_the_type_asked_for_then_the_budget_said(world):
    typed = budgeted = 0
    for d, ep, m, p, alt, verdict in comparisons(world, range(400)):
        said = ep.seller.said
        if (wanted := said.get("type")) and (p.body_type == wanted) != (alt.body_type == wanted):
            better = p if p.body_type == wanted else alt
            assert verdict.startswith(f"Only the {core_name(better)} is {ep._a_type(wanted)}."), (d.id, verdict)
            typed += 1
        elif " has " in verdict.split(" | ")[0]:  # a must-have one has and the other lacks comes before the budget
            continue
        elif (budget := said.get("budget")) and (m.slots["price"] <= budget) != (alt.price <= budget):
            better = p if m.slots["price"] <= budget else alt
            assert verdict.startswith(f"Only the {core_name(better)} fits the {money(budget)}"), (d.id, verdict)
            budgeted += 1
        else:
            assert ("suit" in verdict or verdict.startswith("Neither is")) and "you mentioned" not in verdict
            # "both suit a convertible …" is never said of two products neither of which is one
            untyped = wanted and p.body_type != wanted and alt.body_type != wanted
            assert not (untyped and "both suit" in verdict), (d.id, verdict)
    # The customer now asks to compare only with one of its type, so the seeds rarely give two of different types.
    catalog = world[0]
    _, ep, _, _ = play(world, 0)
    sedan, suv = (next(p for p in catalog.products if p.body_type == t) for t in ("sedan", "SUV"))
    ep.seller.said = {"type": "SUV"}
    for a, b in ((sedan, suv), (suv, sedan)):
        fact, _ = ep._verdict(a, b, a.price, "an SUV for errands", ep.texts[SALESPERSON])
        assert fact == f"Only the {core_name(suv)} is an SUV.", fact
        typed += 1
    cheap, dear = sorted((p for p in catalog.products if p.body_type == "SUV"), key=lambda p: p.price)[:2]
    ep.seller.said = {"budget": (cheap.price + dear.price) / 2}
    for a, b in ((cheap, dear), (dear, cheap)):
        fact, _ = ep._verdict(a, b, a.price, "an SUV for errands", ep.texts[SALESPERSON])
        assert fact.startswith(f"Only the {core_name(cheap)} fits the "), fact
        budgeted += 1
    assert typed > 0 and budgeted > 0


def test_a_comparison_of_two_products_neither_of_the_type_asked_for_says_so(world):
    catalog = world[0]
    _, ep, _, _ = play(world, 0)
    a, b = [p for p in catalog.products if p.body_type == "sedan"][:2]
    ep.seller.said = {"type": "convertible"}
    t = ep.texts[SALESPERSON]
    cheaper = ep._verdict(a, b, b.price - 100, "a convertible for errands", t)
    assert cheaper == ("Neither is a convertible.", f"the {core_name(a)} costs less"), cheaper
    same = ep._verdict(a, b, b.price, "a convertible for errands", t)
    assert same == ("Neither is a convertible.", "the choice is yours"), same


def test_each_customer_line_offers_a_fresh_remark_of_its_own_temperament(world):
    for i in range(80):
        d, ep, moves, _ = play(world, i)
        own = ep.texts["remarks"][d.persona.personality]
        offered = [x.split("such as: ", 1)[1] for m in moves if m.role == CUSTOMER and not m.final
                   for x in m.brief.splitlines() if "such as: " in x]
        assert offered and set(offered) <= set(own), (d.id, d.persona.personality, offered)
        assert len(offered) == len(set(offered)) or len(offered) > len(own)


def test_the_decision_line_offers_a_remark_that_keeps_to_the_decision(world):
    closing = world[2].texts["closing_remarks"]
    replaced = 0
    for i in SEEDS:
        d, ep, moves, _ = play(world, i)
        last = moves[-1]
        remark = [x.split("such as: ", 1)[1] for x in last.brief.splitlines() if "such as: " in x]
        special = closing[last.act].get(d.persona.personality)
        if special:
            assert remark and remark[0] in special, (d.id, last.act, remark)
            replaced += 1
        if remark:
            assert "?" not in remark[0], (d.id, remark)  # the last line asks nothing
    assert replaced > 20


def test_a_line_ends_on_the_words_its_rules_give(world):
    seller_closes = customer_closes = goodbyes = 0
    for i in SEEDS:
        d, ep, moves, _ = play(world, i, append=False)  # asked for; appended: the test below
        for m in moves:
            if m.role == SALESPERSON:  # every seller line ends on a question: its own, or the final offer's
                assert m.closer.endswith("?") and m.closer in m.brief, (d.id, m.act, m.closer)
                seller_closes += 1
            elif m.act == "state_needs" or (m.act == "ask_discount" and not m.slots.get("counter")):
                assert m.closer.endswith("?") and m.closer in m.brief, (d.id, m.act, m.closer)
                customer_closes += 1
            elif m.final:  # a decision ends on a goodbye of its act in its manner, which decides nothing itself
                t = ep.texts[CUSTOMER]
                manner = "curt" if d.persona.personality in t["curt"] else "default"
                assert m.closer in t[f"{m.act}_end"][manner] and m.closer in m.brief, (d.id, m.closer)
                assert "?" not in m.closer and decision_words().in_text(m.closer)[0] == UNCLEAR
                goodbyes += 1
            else:  # a counter-offer is itself the question
                assert not m.closer, (d.id, m.act, m.closer)
    assert seller_closes > 50 and customer_closes > 20 and goodbyes == len(SEEDS)
    d, ep, moves, _ = play(world, 0)
    m = next(m for m in moves if m.role == SALESPERSON and m.act != "greet")
    line = f"{m.openers[0]} a good fit for what you said. {m.closer}"
    assert "goes on after its closing question" not in ep.check(m, line, [])
    assert "goes on after its closing question" in ep.check(m, line + " I need it by the end of the week.", [])


def test_closing_words_the_rules_append_are_not_asked_for(world):
    ended = 0
    for i in range(60):
        asked = play(world, i, append=False)[2]
        appended = play(world, i, append=True)[2]
        assert [m.closer for m in asked] == [m.closer for m in appended]  # the same words, said another way
        for a, b in zip(asked, appended, strict=True):
            if b.closer:
                assert b.append_closer and b.closer not in b.brief and a.closer in a.brief, (i, b.act)
                assert "end with" not in b.brief
                ended += 1
    assert ended > 200


def test_each_side_hears_what_the_other_did_not_its_words(world):
    """For the speakers voice.toml [heard] lists; the others hear the words."""
    heard = 0
    for i in range(60):
        prompts: list[str] = []
        d, ep, moves, _ = play(world, i, prompts=prompts)
        for said, listener, prompt in zip(moves, moves[1:], prompts[1:], strict=False):
            if listener.role not in ep.texts["heard"]["moves"]:  # this speaker hears the words
                assert "OWN WORDS" in prompt, (d.id, prompt)
                continue
            # Not the line (the 1.5B customer recited the seller's specs back, the seller the customer's remark), but
            # the move's product and price; not the seller's closing question either (asked back: voice.toml).
            assert "OWN WORDS" not in prompt, (d.id, prompt)
            if said.role == SALESPERSON and "?" in said.closer:
                assert said.closer not in prompt, (d.id, prompt)
            product = ep.products.get(said.slots.get("product") or "")
            if product is not None and said.act != "greet":
                assert core_name(product) in prompt, (d.id, said.act, prompt)
                if "{price}" in ep.texts["heard"][said.role][said.act]:
                    assert money(said.slots["price"]) in prompt, (d.id, prompt)
                heard += 1
            for k in ("counter", "budget"):
                if said.role == CUSTOMER and said.slots.get(k):
                    assert money(said.slots[k]) in prompt, (d.id, prompt)
    assert heard > 100 or not ep.texts["heard"]["moves"]


def test_the_seller_never_has_the_customers_name(world):
    catalog, cfg, _ = world
    names = ["Alex", "Mateo"]
    sc = scenario("sales", catalog=catalog, seller_names=names, stores={"default": "Shop"},
                  behaviours={**cfg.personalities, **cfg.temperaments}, stretch=cfg.over_budget_stretch, car=cfg.car)
    for i in range(40):
        persona, product = sample_pair(3, i, catalog.products, cfg)
        for name in names:
            persona.name = name
            d = Dialogue(id=f"t{i}", index=i, persona=persona, product=product, seed=3)
            assert sc.episode(d, [], f"3:{i}", 5, (50, 75)).seller_name != name


def test_a_customer_haggling_within_a_budget_it_said_does_not_call_the_price_too_much(world):
    within = over = 0
    for i in SEEDS:
        d, ep, moves, _ = play(world, i)
        said = None
        for m in moves:
            if m.role != CUSTOMER:
                continue
            if m.act == "ask_discount" and said is not None:
                price = m.slots["price"]
                if price <= said:
                    within += 1
                    assert all("budget" in o or "afford" in o for o in m.openers), m.openers
                    assert not any(w in o for o in m.openers for w in ("more than", "too much", "not paying"))
                else:
                    over += 1
                    assert not m.slots.get("affordable")
            said = m.slots.get("budget", said)
    assert within > 5 and over > 5


def seller_moves(world):
    """(dialogue, episode, move, the budget the customer had said or None) for every seller move over the seeds."""
    for i in SEEDS:
        d, ep, moves, _ = play(world, i)
        said = None
        for m in moves:
            if m.role == CUSTOMER:
                said = m.slots.get("budget", said)
            else:
                yield d, ep, m, said


def test_a_seller_price_still_over_the_budget_said_is_called_so_in_the_opening_words(world):
    noted = 0
    for d, ep, m, said in seller_moves(world):
        if m.act in ("discount", "hold") or (m.openers and m.act != "compare" and m.slots.get("price")
                                             and all(o.rstrip().endswith(".") for o in m.openers)):
            over = said is not None and m.slots["price"] > said
            for o in m.openers:
                assert o.endswith(f"the {money(said)} you mentioned.") if over else \
                    "you mentioned" not in o, (d.id, m.act, o, said)
            # what the line must state: the budget too, where the opening words say it
            assert not over or any(same_amount(said, x) for x in ep._required(m)), (m.openers, said)
            noted += over
    assert noted > 5


def test_a_recommendation_over_the_budget_said_says_so_in_its_opening_words(world):
    over = 0
    for d, ep, m, said in seller_moves(world):
        if m.act != "recommend" or said is None:
            continue
        if m.slots["price"] > said and not (m.slots.get("lacks") or m.slots.get("not_type")):  # those come first
            assert all(f"above the {money(said)} you mentioned" in o for o in m.openers), (d.id, m.openers)
            assert any(same_amount(said, x) for x in ep._required(m))
            over += 1
        elif m.slots["price"] <= said:
            assert not any("you mentioned" in o for o in m.openers), (d.id, m.openers)
    assert over > 5, over


def test_a_product_a_little_over_the_budget_said_comes_down_to_its_floor_before_another_is_offered(world):
    floors = 0
    for d, ep, m, said in seller_moves(world):
        if m.act == "cheaper" and said is not None:
            old = ep.products[m.slots["instead_of"]]
            if floor_of(old) <= said * REACH:  # in reach: it was offered at its floor first
                assert ep.seller.said.get("budget") and any(
                    a.act in ("discount", "hold") and a.slots.get("product") == old.name
                    and a.slots.get("price") == floor_of(old) for a in ep.acts), (d.id, m.slots)
                floors += 1
    assert floors > 0


def test_the_seller_may_call_a_price_within_budget_only_where_the_customer_said_one_it_is_under(world):
    fits = "It fits your budget and has everything you asked for."
    checked = set()
    for d, ep, m, said in seller_moves(world):
        if m.slots.get("price") is None:
            continue
        ep.seller.said = {"budget": said} if said else {}  # what the seller had heard when it spoke
        problems = " ".join(ep.check(m, fits, []))
        case = "none" if said is None else "over" if m.slots["price"] > said else "under"
        assert ("budget the customer has not said" in problems) is (case == "none"), (d.id, problems)
        assert (f"within the {money(said or 0)} budget" in problems) is (case == "over"), (d.id, problems)
        assert "budget" not in " ".join(ep.check(m, "It is a good pick for your needs.", [])), d.id
        for honest in ("Honestly, it doesn't fit your budget.", "It is not quite within your budget."):
            assert "budget" not in " ".join(ep.check(m, honest, [])), (d.id, honest)
        checked.add(case)
    assert checked == {"none", "over", "under"}


def test_a_seller_figure_with_a_unit_the_catalog_does_not_give_for_its_product_is_a_problem(world):
    flagged = 0
    for i in range(60):
        d, ep, moves, _ = play(world, i)
        m = next(m for m in moves if m.role == SALESPERSON and m.slots.get("product"))
        p = ep.products[m.slots["product"]]
        name = core_name(p)
        # a unit the catalog gives no figure in for this product (one it does give is the accuracy judge's: a
        # contradiction or a match)
        unit = next(u for u in ("lb", "mph", "kWh", "rpm") if numbers_with_units(ep.claims.rules, f"7 {u}")[0][1]
                    not in ep.claims.facts(p).by_unit)
        made_up = " ".join(ep.check(m, f"The {name} gives you 777 {unit} on its own.", []))
        assert f'"777 {unit}", which the catalog does not give for the {name}' in made_up, (d.id, made_up)
        numeric = [(k, v) for k, v in p.specs.items() if isinstance(v, int | float) and not isinstance(v, bool)
                   and ep.claims.facts(p).by_unit and "_" in k and not k.endswith("usd")]
        for k, v in numeric:  # the catalog's own figure, as the brief gives it, is no problem
            said = spec_text(k, v)
            if any(u == unit for _, u, _, _ in numbers_with_units(ep.claims.rules, said)
                   for unit in ep.claims.facts(p).by_unit):
                assert "catalog does not give" not in " ".join(ep.check(m, f"The {name} has {said}.", [])), (d.id, said)
        flagged += 1
    assert flagged == 60


def test_each_side_asks_only_the_questions_its_rules_give_and_an_own_one_is_a_blemish(world):
    checked = {SALESPERSON: 0, CUSTOMER: 0}
    for i in range(80):
        d, ep, moves, _ = play(world, i)
        for m in moves:
            if m.final:
                continue
            own = [p for p in ep.check(m, "How long do you need it by? I want it soon.", []) if "of its own" in p]
            assert own == ["asks a question of its own: How long do you need it by?"], (d.id, own)
            assert isinstance(own[0], Blemish)
            for given in [q for x in (*m.openers, m.closer) for q in sentences(x) if q.endswith("?")]:
                assert "of its own" not in " ".join(ep.check(m, f"I see. {given}", [])), (d.id, given)
                checked[m.role] += 1
    assert min(checked.values()) > 50, checked


def test_the_customers_life_details_state_no_figure_and_read_clean_to_the_toxicity_classifier(world):
    from profanity_check import predict_prob

    details = play(world, 0)[1].texts["details"]
    catalog_categories = {p.category for p in world[0].products}
    assert catalog_categories <= set(details), catalog_categories - set(details)
    every = [d for ds in details.values() for d in ds]
    assert all(d.endswith(".") and not any(c.isdigit() for c in d) for d in every)
    # The judge's default classifier: a detail it reads as toxic lowers a polite customer's score ("I hate …").
    assert max(predict_prob(every)) < 0.35


def test_a_seller_sentence_saying_the_customers_own_words_back_is_a_blemish(world):
    heard = "I had hoped for a Toyota, but I will hear you out. My sister borrows my car now and then."
    checked = 0
    for i in range(40):
        d, ep, moves, _ = play(world, i)
        for m in moves[2:]:
            if m.role != SALESPERSON or not m.openers:
                continue
            line = "I had hoped for a Toyota too, my friend."
            echo = [p for p in ep.check(m, line, ["x", heard]) if "words back" in p]
            assert echo and isinstance(echo[0], Blemish), (d.id, echo)
            # the move's own words are no echo, whoever said them first
            assert not [p for p in ep.check(m, m.openers[0], ["x", f"{m.openers[0]} {heard}"]) if "words back" in p]
            checked += 1
    assert checked > 20


def test_a_new_products_model_year_is_no_figure_a_line_may_state_unless_it_was_said(world):
    # the other figures of its name are (a model number: "RTX 4070", "(128 GB)")
    checked = 0
    for i in range(80):
        d, ep, moves, _ = play(world, i)
        for m in moves:
            p = ep.products.get(m.slots.get("product") or "")
            year = p and next((w for w in p.name.split() if w.isdigit() and len(w) == 4 and w.startswith("20")), None)
            if not year or year in m.brief or any(year in o for o in m.openers) or "year" in p.specs:
                continue  # a used car's year is its spec
            allowed = ep.figures(m, ["I like it."])
            assert year not in allowed, (d.id, p.name)
            numbers = re.findall(r"(?<![\w$.,])\d+\b", p.name)  # not the "4" of "ID.4", a word of its own
            assert all(x in allowed for x in numbers if x != year), (d.id, p.name, allowed)
            assert year in ep.figures(m, [f"Is the {p.name} new?"])  # said in the talk, it may be said again
            checked += 1
    assert checked > 20


def test_figures_joined_by_x_are_checked_whole(world):
    # "1920x120" for a 1920x1200 screen: each half was a figure of the talk, the whole was not (session 12).
    checked = 0
    for i in range(400):
        d, ep, moves, _ = play(world, i)
        for m in moves:
            joined = [f for f in ep.figures(m, []) if re.fullmatch(r"\d+x\d+", f) and len(f) > 5]
            if not joined:
                continue
            whole = joined[0]
            assert "which its facts do not give" not in " ".join(ep.check(m, f"It has a {whole} screen.", []))
            garbled = ep.check(m, f"It has a {whole[:-1]} screen.", [])
            assert f"says {whole[:-1]}, which its facts do not give" in garbled, (d.id, garbled)
            a, b = whole.split("x")
            spaced = ep.check(m, f"It has a {a} x {b[:-1]}, 3 screen.", [])  # "2560 x 16, 3 OLED" (session 13)
            assert f"says {a} x {b[:-1]}, which its facts do not give" in spaced, (d.id, spaced)
            assert "which its facts do not give" not in " ".join(ep.check(m, f"It has a {a} x {b} screen.", []))
            checked += 1
    assert checked > 5, checked


def test_a_seller_saying_it_costs_less_of_the_dearer_product_is_a_problem(world):
    # The simulator's line check (the judges' line_flaws, as generate/planned.py runs it) sends such a line back.
    panel = shared_panel()

    def flagged(d, text):
        return [f.reason for f in panel.line_flaws(d.with_line(SALESPERSON, text)) if "more affordable" in f.sentence]

    checked = 0
    for i in range(80):
        d, ep, moves, _ = play(world, i, compare=True)
        for m in moves:
            a, b = (ep.products.get(m.slots.get(k) or "") for k in ("product", "alt"))
            if m.role != SALESPERSON or a is None or b is None or a.price == b.price:
                continue
            cheap, dear = sorted((a, b), key=lambda p: p.price)
            wrong = f"The {dear.name} is a fine choice. It is also more affordable than the {cheap.name}."
            right = f"The {cheap.name} is a fine choice. It is also more affordable than the {dear.name}."
            assert flagged(d, wrong), (d.id, wrong)
            assert not flagged(d, right), (d.id, right)
            checked += 1
    assert checked > 3, checked


def test_a_seller_calling_its_price_above_an_amount_it_is_not_above_is_a_problem(world):
    # "I can do $850 on the Lenovo ThinkPad E14 Gen 6 … That's still above the $850 you wanted" (session 13).
    checked = 0
    for i in range(60):
        d, ep, moves, _ = play(world, i)
        for m in moves:
            if m.role != SALESPERSON or m.act == "compare" or m.slots.get("price") is None:
                continue
            price = m.slots["price"]
            wrong = [p for p in ep.check(m, f"That is still above the {money(price)} you mentioned.", [])
                     if "which is not above it" in p]
            right = [p for p in ep.check(m, f"That is still above the {money(price - 50)} you mentioned.", [])
                     if "which is not above it" in p]
            assert wrong and not right, (d.id, wrong, right)
            checked += 1
    assert checked > 20, checked
