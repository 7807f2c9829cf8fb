"""Single behaviours of the judges and their parsers, each a case that could go wrong."""
from __future__ import annotations

import asyncio
import copy

import pytest
from fixtures.loader import clean, shared_panel

from salesgen.core.catalog import Catalog
from salesgen.core.dialogue import CUSTOMER, SALESPERSON, Turn
from salesgen.core.mentions import product_index
from salesgen.core.words import sentences
from salesgen.generate.text import drop_sentences
from salesgen.scenarios.sales.claims import (
    CONTRADICTED,
    IMMATERIAL,
    SUPPORTED,
    UNSUPPORTED,
    ClaimExtractor,
    load_rules,
    numbers_with_units,
)
from salesgen.scenarios.sales.decisions import decision_words
from salesgen.scenarios.sales.judges.sale_success import car_dealer_reward
from salesgen.scenarios.sales.prices import find_money


@pytest.fixture(scope="module")
def panel():
    return shared_panel()


@pytest.fixture(scope="module")
def extractor():
    return ClaimExtractor(Catalog.load())


def judge_of(panel, name):
    return next(e.judge for e in panel.entries if e.judge.name == name)


def with_turn(name: str, index: int, text: str):
    d = clean(name)
    d.turns[index] = Turn(d.turns[index].role, text, d.turns[index].timestamp)
    return d


def test_money_parser():
    found = [(m.value, m.text) for m in find_money("It is $36,800, or $1.2k, $499.99, 1,699 dollars, "
                                                   "about thirty-seven thousand dollars or fourteen hundred bucks.")]
    assert found == [(36800, "$36,800"), (1200, "$1.2k"), (499.99, "$499.99"), (1699, "1,699 dollars"),
                     (37000, "thirty-seven thousand dollars"), (1400, "fourteen hundred bucks")]


def test_units_parse_policy_style_numbers():
    got = [(v, u) for v, u, _, _ in numbers_with_units(load_rules(), "a 3-year/36,000-mile warranty, 4.9% APR for "
                                                                     "60 months, 39.3 cubic feet, 16-20.5 in.")]
    assert got == [(3, "years"), (36000, "mi"), (4.9, "percent"), (60, "months"), (39.3, "cuft"), (16, "in"),
                   (20.5, "in")]


@pytest.mark.parametrize("sentence, status", [
    ("The CR-V EX-L is listed at $36,800.", SUPPORTED),
    ("I can do $36,000 for you today.", SUPPORTED),           # an offer between the floor and the list price
    ("It's listed at $35,900.", CONTRADICTED),                 # a wrong list price before any haggling
    ("The CR-V EX-L costs $39,000.", CONTRADICTED),            # above the list price
    ("I can let it go for $34,000.", CONTRADICTED),            # below the lowest allowed price
    ("That's about $620 a month.", UNSUPPORTED),                # a monthly figure the catalog does not give
    ("That fits within your budget of $37,000.", IMMATERIAL),  # the customer's own budget
])
def test_price_claims(extractor, sentence, status):
    d = with_turn("clean_car_crv", 4, sentence)
    claims = [c for c in extractor.extract(d) if c.turn == 4 and c.kind in ("price", "monthly", "amount")]
    assert claims and claims[0].status == status, [(c.text, c.status, c.note) for c in claims]


def test_claims_about_another_named_product_use_that_product(extractor):
    d = with_turn("clean_car_crv", 4, "If you want something cheaper, the Toyota RAV4 XLE is $31,900 and has "
                                      "Android Auto.")
    claims = [c for c in extractor.extract(d) if c.turn == 4 and c.kind in ("price", "feature")]
    assert {c.subject for c in claims} == {"toyota-rav4-xle-2025"} and all(c.status == SUPPORTED for c in claims)


def test_the_seller_taking_up_a_product_the_customer_invented_is_a_contradiction(extractor):
    d = clean("clean_car_crv")
    c = next(i for i, t in enumerate(d.turns) if t.role == CUSTOMER)
    s = next(i for i, t in enumerate(d.turns) if t.role == SALESPERSON and i > c)
    d.turns[s] = Turn(SALESPERSON, d.turns[s].text + " I would definitely go with the X3.", d.turns[s].timestamp)
    assert not [x for x in extractor.extract(d) if x.text == "X3"]  # no one named a BMW X3: a plain word here
    d.turns[c] = Turn(CUSTOMER, d.turns[c].text + " My neighbour swears by the BMW X3.", d.turns[c].timestamp)
    hit = [x for x in extractor.extract(d) if x.text == "X3"]
    assert hit and hit[0].status == CONTRADICTED and hit[0].turn == s, hit
    said = d.turns[s].text.replace(" I would definitely go with the X3.", " We don't carry the X3, sadly.")
    d.turns[s] = Turn(SALESPERSON, said, d.turns[s].timestamp)
    assert not [x for x in extractor.extract(d) if x.text == "X3"]  # an honest "we don't have it"
    # Spec words are no model name said alone: "Apple TV" does not make every later "TV" a product.
    d.turns[c] = Turn(CUSTOMER, d.turns[c].text + " I also want it to work with my Samsung 5G phone.",
                      d.turns[c].timestamp)
    d.turns[s] = Turn(SALESPERSON, said + " It has 5G hotspot support.", d.turns[s].timestamp)
    assert not [x for x in extractor.extract(d) if x.text == "5G"]


def test_which_of_two_products_costs_more_is_checked_against_their_prices(extractor):
    # "However, the Apple iPhone 16 … is a bit more expensive" than the $1,299 Galaxy: a blind reader caught it.
    d = clean("clean_headphones_xm5")
    s = next(i for i, t in enumerate(d.turns) if t.role == SALESPERSON and i > 0)
    def said(sentence: str) -> list:
        d.turns[s] = Turn(SALESPERSON, sentence, "")
        return [c for c in extractor.extract(d) if c.kind == "comparison"]
    wrong = said("Next to the Sony WH-1000XM5, the JBL Tune 770NC is a bit more expensive.")
    assert [c.status for c in wrong] == [CONTRADICTED], wrong
    assert [c.status for c in said("The JBL Tune 770NC is cheaper than the Sony WH-1000XM5.")] == [SUPPORTED]
    assert [c.status for c in said("The Sony WH-1000XM5 costs more than the JBL Tune 770NC.")] == [SUPPORTED]
    assert said("The JBL Tune 770NC is not more expensive than the Sony WH-1000XM5.") == []  # no claim read
    assert said("The JBL Tune 770NC at $129 is cheaper than the Sony WH-1000XM5.") == []  # amounts: price claims
    # "It" is the product named last: "It is also more affordable than the Schwinn IC4" of a dearer rower.
    wrong = said("The Sony WH-1000XM5 has great noise cancelling. It is also cheaper than the JBL Tune 770NC.")
    assert [c.status for c in wrong] == [CONTRADICTED], wrong
    right = said("The Sony WH-1000XM5 has great noise cancelling. It's pricier than the JBL Tune 770NC.")
    assert [c.status for c in right] == [SUPPORTED], right
    assert said("Great noise cancelling. Nothing is cheaper than the JBL Tune 770NC.") == []  # no subject read


def test_a_need_is_not_a_claim(extractor):
    d = with_turn("clean_car_crv", 2, "You mentioned you want a heated steering wheel, so let me check.")
    assert not [c for c in extractor.extract(d) if c.turn == 2 and c.kind == "feature"]


def test_word_limits_off_for_imported_data(panel):
    from salesgen.judge.base import JudgeContext, PanelOptions
    from salesgen.judge.judges.word_count import WordCount

    ctx = JudgeContext(Catalog.load(), PanelOptions(min_words=None, max_words=None), panel.resources)
    assert WordCount(ctx).judge(clean("clean_car_crv")) is None


def test_role_leakage_by_persona_name(panel):
    d = with_turn("clean_car_crv", 6, clean("clean_car_crv").turns[6].text + " Maya: Sounds great!")
    v = judge_of(panel, "role_leakage").judge(d)
    assert v.score < 1 and "Maya:" in v.evidence[0] and "turn 7 (salesperson)" in v.evidence[0]


@pytest.mark.parametrize("said", [
    "Mateo, I can lower the price to $479.",  # the store's price move
    "What else matters to you?",  # the seller's discovery questions, asked back
    "Do you have any specific needs?",
    "What are the top features you're looking for in a laptop?",
])
def test_role_leakage_a_customer_speaking_the_sellers_part(panel, said):
    base = clean("clean_car_crv").turns[3].text
    v = judge_of(panel, "role_leakage").judge(with_turn("clean_car_crv", 3, f"{base} {said}"))
    assert v.score < 1 and "turn 4 (customer)" in v.evidence[0] and said[:12] in v.evidence[0], v.evidence
    # The same words from the seller are its own.
    seller = clean("clean_car_crv").turns[2].text
    assert judge_of(panel, "role_leakage").judge(with_turn("clean_car_crv", 2, f"{seller} {said}")).score == 1


def test_role_leakage_a_line_speaking_of_the_other_side_in_the_third_person(panel):
    # "The salesperson looks over my options and starts to offer their picks. I decide on a Mazda MX-5.", kept at 0.98.
    judge = judge_of(panel, "role_leakage")
    base = clean("clean_car_crv").turns[3].text
    said = "The salesperson looks over my options and starts to offer their picks."
    v = judge.judge(with_turn("clean_car_crv", 3, f"{base} {said}"))
    assert v.score < 1 and "speaks of the salesperson" in v.evidence[0], v.evidence
    seller = clean("clean_car_crv").turns[2].text
    v = judge.judge(with_turn("clean_car_crv", 2, f"{seller} It has what the customer asked for."))
    assert v.score < 1 and "speaks of the customer" in v.evidence[0], v.evidence
    for said in ("The customer service team answers within a day.", "The customer reviews are excellent."):
        assert judge.judge(with_turn("clean_car_crv", 2, f"{seller} {said}")).score == 1, said
    # To them, not of them: "you" and the name are the other side addressed.
    assert judge.judge(with_turn("clean_car_crv", 3, f"{base} You have been a great salesman.")).score == 1


def test_role_leakage_lets_a_customer_ask_for_a_lower_price(panel):
    base = clean("clean_car_crv").turns[3].text
    for said in ("Can you lower the price to $33,000?", "Could you bring down the price a little?",
                 "Which features matter most to my kids? Space, I think."):
        assert judge_of(panel, "role_leakage").judge(with_turn("clean_car_crv", 3, f"{base} {said}")).score == 1


def test_exchange_cap(panel):
    d = clean("clean_car_crv")
    d.turns = d.turns + copy.deepcopy(d.turns[2:6])  # 6 exchanges against a cap of 5
    v = judge_of(panel, "exchange_count").judge(d)
    assert v.score < 1 and "over the maximum of 5" in v.reason


@pytest.mark.parametrize("text, said", [
    ("Yes, let's do it at that price.", "yes"),
    ("Honestly, I won't be buying it today.", "no"),
    ("It's too pricey... fine, I'll take it.", "yes"),
    ("I'll take some time to think about it.", "no"),
    ("Interesting. Tell me more about the seats.", "unclear"),
    ("It has all I need, so I will take the Camry at $27,800.", "yes"),
    ("I've decided to go with the Civic today.", "yes"),
    ("I will take some time before deciding.", "unclear"),
    ("I'm going to pass on it; it lacks a third row.", "no"),
    ("I've decided not to buy it today.", "no"),
    ("I'll take the Civic at $24,000. I'll pass on the Corolla and the Mazda.", "yes"),
    ("I will pass along your number to my wife.", "unclear"),
    # Phrases seen in generated closes that are not a yes (BENCHMARKS.md §2e).
    ("Yes, I have a few more questions about the warranty.", "unclear"),
    ("I'd be happy to negotiate a better deal.", "unclear"),
    ("If you have more questions, ask. I'll take it from there.", "unclear"),
    ("It's great to know that I'm in the right place.", "unclear"),
    ("I'll give it a try and see how it works for me.", "unclear"),
    ("I'll decide if I want to buy the headphones.", "unclear"),
    ("I'll get back to you next week.", "unclear"),
    ("Deal! Wrap it up.", "yes"),
    ("It fits my needs, so I take the Hyundai Elantra GLS at $8,900.", "yes"),
    ("I take the bus to work, so I need something small.", "unclear"),
    ("That works for me, I'm in.", "yes"),
])
def test_customer_decision_in_words(text, said):
    d = clean("clean_car_crv")
    d.turns[-1] = Turn(CUSTOMER, text, "")
    d.turns[-3] = Turn(CUSTOMER, "Okay.", "")
    assert decision_words().said(d.turns).words == said


def test_car_dealer_reward_formula():
    assert car_dealer_reward(True, 28000, 30000, 27000) == pytest.approx(28000 / 28500, abs=1e-4)
    assert car_dealer_reward(False, None, 30000, 27000) == pytest.approx(-(3000 / 27000), abs=1e-4)
    assert car_dealer_reward(True, None, 30000, 27000) is None


def test_customer_may_be_blunt_but_not_abusive(panel):
    tox = judge_of(panel, "toxicity")
    blunt = with_turn("clean_headphones_xm5", 1, "This is a damn rip-off and your store is a joke, honestly.")
    assert not tox.judge(blunt).veto
    attack = with_turn("clean_headphones_xm5", 1, "Listen, you pathetic clown, just tell me the price.")
    assert tox.judge(attack).veto
    seller = with_turn("clean_headphones_xm5", 2, "What a damn stupid question, honestly.")
    v = tox.judge(seller)
    assert v.veto and "salesperson" in v.reason


def test_fluency_accepts_catalog_words_and_names(panel):
    d = clean("clean_headphones_xm5")
    d.turns = [Turn(SALESPERSON, "Hi, I'm Jordan at BrightLane Store. The WH-1000XM5 has multipoint Bluetooth, "
                                 "and the CR-V EX-L has a power liftgate.", "")]
    v = judge_of(panel, "fluency").judge(d)
    assert v.details["issues"] == 0, v.evidence


def test_a_discount_said_with_its_old_price_after_a_price_objection_is_no_contradiction(panel):
    """"$36,000, down from $36,800" is a lower price, not one that went up; "more than I want to pay" asks for it."""
    coherence = judge_of(panel, "coherence")
    d = clean("clean_car_crv")
    d.turns[5] = Turn(CUSTOMER, "Honestly, $36,800 is more than I want to pay.", d.turns[5].timestamp)
    d.turns[6] = Turn(SALESPERSON, "I can do $36,000 on the Honda CR-V EX-L, down from $36,800, just for you.",
                      d.turns[6].timestamp)
    assert not [c for c in coherence._contradictions(d) if "price" in c], coherence._contradictions(d)
    # Unasked, the same lower price is still a contradiction.
    d.turns[5] = Turn(CUSTOMER, "The cargo space sounds right for our trips.", d.turns[5].timestamp)
    assert [c for c in coherence._contradictions(d) if "no negotiation" in c], coherence._contradictions(d)


def test_the_first_product_named_is_no_switch_and_a_greetings_brands_name_no_product(panel):
    coherence = judge_of(panel, "coherence")
    d = clean("clean_car_crv")  # the seller recommends the CR-V and talks of it to the end
    d.product = Catalog.load().get("toyota-rav4-xle-2025")  # the one the customer came in for, never named
    d.turns[0] = Turn(SALESPERSON, "Welcome! We have models from UPLIFT Desk, Toyota and Honda in stock today.", "")
    assert not [c for c in coherence._contradictions(d) if "switches" in c], coherence._contradictions(d)
    # The RAV4 brought in unannounced after it is a switch.
    d.turns[4] = Turn(SALESPERSON, "The Toyota RAV4 XLE 2025 has heated seats and a sunroof.", "")
    assert [c for c in coherence._contradictions(d) if "switches to Toyota" in c], coherence._contradictions(d)


def test_a_goodbye_with_the_talk_going_on_after_it_is_a_contradiction(panel):
    coherence = judge_of(panel, "coherence")
    d = clean("clean_laptop_xps")
    base = coherence.judge(d)
    assert not [e for e in base.evidence if "says goodbye" in e]
    mid = next(i for i, t in enumerate(d.turns[:-2]) if t.role == CUSTOMER and i > 0)
    early = with_turn("clean_laptop_xps", mid, d.turns[mid].text + " Thanks for your help. Goodbye.")
    v = coherence.judge(early)
    assert [e for e in v.evidence if "says goodbye and the talk goes on" in e] and v.score < base.score
    last = len(d.turns) - 1
    # In the last line a goodbye may close it, not open two more sentences.
    closing = with_turn("clean_laptop_xps", last, d.turns[last].text + " Goodbye, and thanks again.")
    assert not [e for e in coherence.judge(closing).evidence if "says goodbye" in e]
    run_on = with_turn("clean_laptop_xps", last, d.turns[last].text + " Goodbye. I'll make my decision soon. "
                       "I'll be there soon.")
    assert [e for e in coherence.judge(run_on).evidence if "2 more sentences follow" in e]
    # A closing exchange is no talk going on after a goodbye.
    d.turns[last] = Turn(d.turns[last].role, d.turns[last].text + " Bye for now.", d.turns[last].timestamp)
    d.turns.append(Turn(SALESPERSON if d.turns[last].role == CUSTOMER else CUSTOMER, "Goodbye, and good luck!", ""))
    assert not [e for e in coherence.judge(d).evidence if "says goodbye" in e]


def test_coherence_is_deterministic_and_bounded(panel):
    j = judge_of(panel, "coherence")
    a, b = j.judge(clean("clean_car_crv")), j.judge(clean("clean_car_crv"))
    assert a.score == b.score and 0.9 <= a.score <= 1.0
    assert len(a.details["similarity_to_previous"]) == len(clean("clean_car_crv").turns) - 1


def test_panel_judges_an_empty_dialogue_without_crashing(panel):
    d = clean("clean_car_crv")
    d.turns = []
    asyncio.run(panel.judge(d, 0.7))
    assert d.status == "discarded" and all(v.error is None for v in d.verdicts)


def test_line_flaws_speak_only_of_the_last_turn(panel):
    """The simulator's line check: the same contradicted price is a flaw when it is the new line, not before."""
    wrong = "It's listed at $35,900."
    d = with_turn("clean_car_crv", 4, wrong)
    assert panel.line_flaws(d) == []  # turn 4 is history here: the judge at the end reports it
    d.turns = d.turns[:5]
    flaws = panel.line_flaws(d)
    assert [(f.rule, f.sentence) for f in flaws] == [("accuracy", wrong)] and "35,900" in flaws[0].reason


def test_a_sentence_naming_the_private_discount_floor_is_a_flaw_and_floor_mats_are_not(panel):
    """Seen in a generated line: "The laptop costs $1,699, which is within my private floor of $1,599." """
    leak = "The price is $36,800, which is above my private floor of $34,900."
    d = with_turn("clean_car_crv", 4, leak)
    d.turns = d.turns[:5]
    flaws = panel.line_flaws(d)
    assert {(f.rule, f.sentence) for f in flaws} == {("accuracy", leak)}
    assert any(f.reason.startswith('floor "private floor" contradicted') for f in flaws), flaws
    for fine in ("The all-weather floor mats keep the cabin clean.", "Its floor space fits two strollers."):
        d.turns[4] = Turn(SALESPERSON, fine, "")
        assert [f for f in panel.line_flaws(d) if "floor" in f.reason] == [], fine

def test_a_long_product_name_is_one_word_when_the_same_point_is_counted(panel):
    """Two discounts and a comparison of the ASUS ROG Zephyrus G16 RTX 4070 are no loop (a generated dialogue was
    discarded for them); one must-have said of a product three times is."""
    rep = judge_of(panel, "repetition")
    d = clean("clean_car_crv")
    seller = [t for t in d.turns if t.role == SALESPERSON]
    points = ["I can lower the ASUS ROG Zephyrus G16 RTX 4070 from $2,299 to $2,220, just for you.",
              "I can lower the ASUS ROG Zephyrus G16 RTX 4070 from $2,220 to $2,150, just for you.",
              "The ASUS ROG Zephyrus G16 RTX 4070 is $2,150 and the Apple MacBook Air 13-inch is $1,099."]
    for t, point in zip(seller[1:], points, strict=False):
        t.text = f"{t.text} {point}"
    assert not [m for _, _, m in rep._loops(d) if "ASUS" in m], rep._loops(d)
    buyer = [t for t in d.turns if t.role == CUSTOMER]
    for t in buyer[:3]:
        t.text = f"{t.text} The Honda CR-V EX-L 2025 has heated seats, which I like."
    assert [m for _, _, m in rep._loops(d) if "third time" in m and "heated seats" in m], rep._loops(d)


def test_a_line_copying_an_earlier_turn_is_a_repetition_flaw(panel):
    d = clean("clean_car_crv")
    d.turns = d.turns[:3]
    assert panel.line_flaws(d) == []
    d.turns[2] = Turn(d.turns[2].role, d.turns[0].text, d.turns[2].timestamp)
    flaws = panel.line_flaws(d)
    # A copy of a whole turn has nothing to keep: the line is resampled, not repaired.
    assert [f.rule for f in flaws] == ["repetition"] and flaws[0].sentence is None


def test_a_line_that_copies_earlier_turns_in_some_sentences_is_repaired_by_leaving_them_out(panel):
    """Seen in generated talks: "You're welcome, Lucas! I'm glad I could help." and a copied pitch, then new words."""
    d = clean("clean_car_crv")
    d.turns = d.turns[:3]
    copied = [s for s in sentences(d.turns[0].text) if len(s.split()) >= 15]
    assert len(copied) == 3
    fresh = ("My twins start school next fall and the morning drive is long. "
             "Could we talk about how the trunk handles two strollers and a cooler?")
    d.turns[2] = Turn(d.turns[2].role, " ".join(copied) + " " + fresh, d.turns[2].timestamp)
    flaws = panel.line_flaws(d)
    assert flaws and all(f.rule == "repetition" and f.sentence in copied for f in flaws)
    # Without those sentences the line is no flaw any more: what the simulator keeps after drop_sentences.
    left, dropped = drop_sentences(d.turns[2].text, {f.sentence for f in flaws})
    assert dropped == len(flaws) and fresh in left
    d.turns[2] = Turn(d.turns[2].role, left, d.turns[2].timestamp)
    assert panel.line_flaws(d) == []


def test_a_sentence_said_twice_in_one_line_is_left_out_once(panel):
    """Seen in a generated offer: "Thank you for your time. I appreciate it. Goodbye. I appreciate it. Goodbye." """
    d = clean("clean_car_crv")
    d.turns = d.turns[:3]
    line = "I appreciate it. Goodbye now. I appreciate it. Goodbye now. Would a test drive on Saturday suit you?"
    d.turns[2] = Turn(d.turns[2].role, line, d.turns[2].timestamp)
    flaws = panel.line_flaws(d)
    assert sorted(f.sentence for f in flaws) == ["Goodbye now.", "I appreciate it."]
    left, _ = drop_sentences(line, [f.sentence for f in flaws])
    assert left == "I appreciate it. Goodbye now. Would a test drive on Saturday suit you?"


def test_a_product_name_said_again_is_one_repeated_word_not_a_copied_line(panel):
    """A closing "I'll take the LG 4.5 cu ft Front-Load Washer WM4000HWA at $999." repeated 4-word sequences only
    because the name is eight words long; it was resampled three times and sank the dialogue under its floor."""
    catalog = Catalog.load()
    washer = next(p for p in catalog.products if "WM4000HWA" in p.name)
    rep = judge_of(panel, "repetition")
    d = clean("clean_car_crv")
    d.turns = d.turns[:2] + [Turn(SALESPERSON, f"The {washer.name} fits your laundry room and your budget.", ""),
                             Turn(CUSTOMER, f"I will take the {washer.name} at ${washer.price:,.0f}.", "")]
    assert panel.line_flaws(d) == [] and rep.judge(d).score > 0.8
    # The same line around a name that is no catalog product is a copy of the turn before.
    d.turns[2:] = [Turn(SALESPERSON, "The Acme 4.5 cu ft Quiet Wash Deluxe Model fits your laundry room.", ""),
                   Turn(CUSTOMER, "I will take the Acme 4.5 cu ft Quiet Wash Deluxe Model at $999.", "")]
    assert [f.rule for f in panel.line_flaws(d)] == ["repetition"]


def test_every_catalog_product_is_found_by_its_full_name():
    """'LG 4.5 cu ft ...' and 'Volkswagen ID.4 Pro 2025' were not: a dot inside a name matched no alias."""
    catalog = Catalog.load()
    index = product_index(catalog)
    missed = [p.name for p in catalog.products
              if not any(p in m.products for m in index.find(f"I like the {p.name} a lot."))]
    assert missed == []

def test_a_purchase_over_the_budget_or_the_sticker_discards(panel):
    """Issue 2: the decision must be consistent. One failed check (3 of 4 passed) used to score 0.75 and be kept."""
    d = clean("clean_car_crv")
    asyncio.run(panel.judge(d, 0.7))
    assert d.status == "kept" and next(v for v in d.verdicts if v.judge == "decision").score == 1.0
    for price, budget in ((38000, 40000), (36000, 30000)):  # above the $36,800 list price; above the budget
        d = clean("clean_car_crv")
        d.outcome.price, d.persona.budget = price, budget
        asyncio.run(panel.judge(d, 0.7))
        v = next(v for v in d.verdicts if v.judge == "decision")
        assert v.score < 1.0 and d.status == "discarded", (price, budget, v.reason)
        assert any(r.startswith("gate decision (decision): ") for r in d.reasons), d.reasons


def test_an_alternative_named_as_people_say_it_may_be_bought(panel):
    """The simulator offers products the talk named by a short name ("Toyota RAV4 XLE"); the judge used to want the
    full catalog name ("Toyota RAV4 XLE 2025"), which with the decision floor discarded every such purchase."""
    decision = judge_of(panel, "decision")
    rav4 = Catalog.load().get("toyota-rav4-xle-2025") or Catalog.load().find_by_name("Toyota RAV4 XLE 2025")
    d = clean("clean_car_crv")
    d.outcome.product_id, d.outcome.product_name, d.outcome.price = rav4.id, rav4.name, rav4.price
    assert decision.judge(d).score < 1.0  # never named in this dialogue
    d = with_turn("clean_car_crv", 2, "The Toyota RAV4 XLE is another option with all-wheel drive at $31,900.")
    d.outcome.product_id, d.outcome.product_name, d.outcome.price = rav4.id, rav4.name, rav4.price
    v = decision.judge(d)
    assert v.score == 1.0, v.reason


def test_an_amount_over_the_list_price_at_the_close_is_not_the_agreed_price(panel):
    """Seen in generated closes: "I'll take the Tacoma, it fits my $70,000 budget" (list $44,400). The simulator
    records the list price; the judge used to call that a price the talk did not agree on, and vetoed."""
    sale = judge_of(panel, "sale_success")
    d = clean("clean_car_crv")
    d.persona.budget = 45000
    d.turns[4:] = [Turn(SALESPERSON, "The CR-V EX-L has heated seats and room for the bags.", ""),
                   Turn(CUSTOMER, "That sounds right for our weekends in the mountains.", ""),
                   Turn(SALESPERSON, "It has everything you asked for. Shall we go ahead today?", ""),
                   Turn(CUSTOMER, "Yes, I'll take it, that fits well under my $45,000 budget.", "")]
    d.outcome.price = 36800
    v = sale.judge(d)
    assert not v.veto and v.details.get("status") == "sold", v.reason


def test_a_switch_to_another_script_is_garbled(panel):
    """Seen in generated lines: one Chinese phrase in an English turn; an accented name and a euro sign are not."""
    garbled = judge_of(panel, "garbled")
    d = with_turn("clean_car_crv", 4, "The adaptive cruise control is smooth, and the 剂量控制 keeps it even.")
    v = garbled.judge(d)
    assert v.score < next(e.floor for e in panel.entries if e.judge.name == "garbled") and "剂量控制" in v.evidence[0]
    d.turns = d.turns[:5]
    assert "garbled" in [f.rule for f in panel.line_flaws(d)]
    for fine in ("My colleague José says the price already includes €200 off, and the warranty covers five years.",):
        assert garbled.judge(with_turn("clean_car_crv", 4, fine)).score == 1.0, fine
    assert garbled.judge(with_turn("clean_car_crv", 4, "Hello, это хорошая машина.")).score < 1.0


def test_an_unfilled_template_slot_discards_and_is_a_line_flaw(panel):
    """A "[Customer's Name]" kept once spreads through the few-shot hub: the garbled judge's floor stops it."""
    d = clean("clean_car_crv")
    assert judge_of(panel, "garbled").judge(d).score == 1.0
    d = with_turn("clean_car_crv", 6, "Thank you for your feedback, [Customer's Name]. " + d.turns[6].text)
    v = judge_of(panel, "garbled").judge(d)
    assert v.score < next(e.floor for e in panel.entries if e.judge.name == "garbled")
    assert "[Customer's Name]" in v.evidence[0]
    asyncio.run(panel.judge(d, 0.0))
    assert d.status == "discarded" and any(r.startswith("garbled ") for r in d.reasons)
    d.turns = d.turns[:7]
    assert [f.rule for f in panel.line_flaws(d)] == ["garbled"]
    d.turns[6] = Turn(d.turns[6].role, "Deal, I'll bring the kids to see it [laughs]. [[END]]", "")
    assert [f.rule for f in panel.line_flaws(d)] == []  # neither the end mark nor a bracketed aside is a slot


def test_a_products_figure_said_with_another_unit_is_a_contradiction(extractor):
    # "a battery that can last for 4,492 hours" of the 4,492 mAh Pixel 8a, kept at 0.90.
    d = clean("clean_headphones_xm5")
    s = next(i for i, t in enumerate(d.turns) if t.role == SALESPERSON and i > 0)

    def said(sentence: str) -> list:
        d.turns[s] = Turn(SALESPERSON, sentence, "")
        return [(c.status, c.value) for c in extractor.extract(d) if c.kind == "spec" and c.turn == s]
    assert said("The Google Pixel 8a has a battery that can last for 4,492 hours.") == [(CONTRADICTED, 4492)]
    assert said("The Google Pixel 8a has a 4,492 mAh battery.") == [(SUPPORTED, 4492)]
    assert said("The Google Pixel 8a will last you 3 hours of calls.") == []  # a small figure: talk, not a spec


def test_a_known_name_with_a_model_number_of_its_own_after_it_is_invented(extractor):
    # "How about the ASUS ROG Zephyrus X570": a known name's words, then a model number no product has (session 13).
    assert [n for n, _ in extractor.invented("How about the ASUS ROG Zephyrus X570 instead?")] == \
        ["ASUS ROG Zephyrus X570"]
    assert extractor.invented("The ASUS ROG Zephyrus G16 RTX 4070 is fast.") == []
    assert extractor.invented("The Mazda3 i Touring Sedan is thrifty.") == []


def test_a_figure_said_of_a_spec_by_name_must_be_that_specs(extractor):
    # "a battery of 128 GB" of a phone with 128 GB of storage; "8 GB of RAM" of a 32 GB laptop (sessions 12-13).
    from salesgen.core.catalog import Catalog
    products = Catalog.load().products
    laptop = next(p for p in products if p.specs.get("memory_gb") == 32 and "8 GB" in str(p.specs.get("graphics")))
    phone = next(p for p in products if p.specs.get("storage_gb") == 128 and p.specs.get("battery_mah"))
    def status(p, sentence):
        return [c.status for c in extractor._unit_claims(0, sentence, p, "")]
    assert status(phone, "It has a battery of 128 GB.") == [CONTRADICTED]
    assert status(phone, f"It has a battery of {phone.specs['battery_mah']:,} mAh.") == [SUPPORTED]
    assert status(laptop, "It has 8 GB of RAM.") == [CONTRADICTED]
    assert status(laptop, "It has 32 GB of RAM.") == [SUPPORTED]
    assert status(laptop, "The RTX 4070 has 8 GB of memory.") == [SUPPORTED]  # the graphics', named with it
    assert status(laptop, "It has 8 GB.") == [SUPPORTED]  # no spec named: the product's figure


def test_an_amount_said_on_the_product_named_next_is_that_products(extractor):
    # "I can do $32,600 on the Honda Accord Sport Hybrid, down from $33,700": the Honda's price, not that of the
    # dialogue's first product (a false catalog gate, fresh `make run`, session 13).
    d = clean("clean_car_crv")
    other = next(p for p in Catalog.load().in_category("car") if p.id != d.product.id and p.min_price
                 and p.price > d.product.price * 1.2)
    s = next(i for i, t in enumerate(d.turns) if t.role == SALESPERSON and i > 0)
    offer = other.price - 100
    d.turns[s] = Turn(SALESPERSON, f"I can do ${offer:,.0f} on the {other.name}, down from ${other.price:,.0f}.", "")
    prices = [c for c in extractor.extract(d) if c.turn == s and c.kind == "price"]
    assert prices and all(c.subject == other.id and c.status != CONTRADICTED for c in prices), prices
