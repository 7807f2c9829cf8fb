"""The simulator's rules on text: leakage removal, word limits, trimming, decision parsing, prompt files."""
import json

import pytest

from salesgen.core.catalog import Catalog
from salesgen.core.errors import InputError
from salesgen.core.words import count_words
from salesgen.generate.text import clean_line, ends_with, fill_placeholders, take_end_mark, trim_to_words
from salesgen.scenarios.sales.facts import catalog_facts
from salesgen.scenarios.sales.free import decision_schema, parse_decision
from salesgen.scenarios.sales.prompts import load_prompts


def test_role_prefix_and_leakage_are_removed():
    text, notes = clean_line("Salesperson: Welcome in! What brings you here today?\nCustomer: I need a car.",
                             ("Alex",), ("Sam",))
    assert text == "Welcome in! What brings you here today?"
    assert notes == ["role_prefix_removed", "leakage_removed"]


def test_own_name_prefix_and_other_agent_name_are_cut():
    text, notes = clean_line("**Alex:** Happy to help. Sam: Great, thanks!", ("Alex",), ("Sam",))
    assert text == "Happy to help."
    assert "leakage_removed" in notes


def test_clean_text_is_left_alone():
    line = "Note the warranty: five years or 60,000 miles, whichever comes first."
    assert clean_line(line, ("Alex",), ("Sam",)) == (line, [])


def test_trim_cuts_at_a_sentence_boundary_within_the_limit():
    text = "One two three four. Five six seven. Eight nine ten eleven twelve thirteen."
    assert trim_to_words(text, 8, 3) == "One two three four. Five six seven."
    assert trim_to_words(text, 8, 8) is None  # what fits is too short: regenerate instead
    # A closing line's decision is its last sentence: the cut comes before it.
    close = "It is quiet. It has heated seats and a big trunk. The warranty is long. I'll take it at $24,000."
    assert trim_to_words(close, 12, 3) == "It is quiet. It has heated seats and a big trunk."
    assert trim_to_words(close, 12, 3, keep_last=True) == "It is quiet. I'll take it at $24,000."
    # A greeting's two closing questions both stay.
    greet = "Hi, I'm Alex. We have sedans and SUVs in stock today. What are you looking for? Which features matter?"
    assert trim_to_words(greet, 14, 3, keep_last=2) == "Hi, I'm Alex. What are you looking for? Which features matter?"


def test_a_line_ends_with_its_closing_words_whatever_the_punctuation():
    assert ends_with("I'll take it. Thank you, that\u2019s all I needed!", "Thank you, that's all I needed.")
    assert not ends_with("When do you need it by? I need it by Friday.", "When do you need it by?")
    assert not ends_with("I overcame in today.", "came in today.")  # whole words only
    assert not ends_with("Anything.", "")


def test_word_count_treats_prices_and_contractions_as_words():
    assert count_words("It's $24,999 with a 5-year warranty.") == 6


def test_end_mark_is_taken_out():
    assert take_end_mark("Deal, I'll take it. [[END]]") == ("Deal, I'll take it.", True)
    assert take_end_mark("Let me think.") == ("Let me think.", False)


@pytest.fixture(scope="module")
def cars():
    return Catalog.load().in_category("car")[:3]


def test_decision_parses_a_purchase(cars):
    text = json.dumps({"bought": True, "product": cars[1].name, "price": cars[1].price})
    o = parse_decision(text, cars)
    assert (o.bought, o.product_id, o.price, o.error) == (True, cars[1].id, cars[1].price, None)


def test_decision_refusal_and_malformed_replies(cars):
    assert parse_decision('{"bought": false, "product": "none", "price": null}', cars).bought is False
    broken = parse_decision('{"bought": tru', cars)
    assert broken.bought is None and "not valid JSON" in broken.error and broken.raw == '{"bought": tru'
    unknown = parse_decision('{"bought": true, "product": "Flying Car", "price": 5}', cars)
    assert unknown.bought is None and "unknown product" in unknown.error
    free = parse_decision(json.dumps({"bought": True, "product": cars[0].name, "price": 0}), cars)
    assert free.bought is None and "positive price" in free.error


def test_decision_schema_lists_only_products_in_play(cars):
    bought, declined = decision_schema([p.name for p in cars])["anyOf"]
    assert bought["properties"]["product"]["enum"] == [p.name for p in cars]
    assert bought["properties"]["bought"] == {"const": True} and bought["properties"]["price"]["type"] == "number"
    assert declined["properties"]["product"] == {"const": "none"}  # no "bought true, product none"
    # Held to the customer's words: a yes only as a purchase, a no or no clear answer only as a refusal.
    names = [p.name for p in cars]
    assert decision_schema(names, None, "yes") == bought and decision_schema(names, None, "no") == declined
    assert decision_schema(names, None, "unclear") == declined
    assert decision_schema(["A"], [100.0, 99.5, 100.0])["anyOf"][0]["properties"]["price"] == {"enum": [100, 99.5]}


def test_garbled_words_are_recognised():
    from salesgen.generate.text import is_garbled

    for text in ("Is it'sBattery?", "This equipment'sPM5aR.00700000PM.", "It lasts 00700000 hours.",
                 "The things it's''s''s''s.", "It is versatile and that'sGreat.", "It\u2019sGreat."):
        assert is_garbled(text), text
    for text in ("It's great, and O'Neil's shop has it for $1,299,000.", "I can't wait; it's the WM4000HWA.",
                 "Don't worry, you'll love it, and we've got it.", "It has 104000 miles and 128000 before that."):
        assert not is_garbled(text), text


def test_refusals_are_recognised():
    from salesgen.generate.text import is_refusal

    assert is_refusal("I'm sorry, but I can't assist with that.")
    assert is_refusal("As an AI language model, I do not shop.")
    assert is_refusal("I need a different car. I'm sorry, I can't help you with that.")
    assert not is_refusal("I can help you with that right away.")
    assert not is_refusal("Sorry, I can't go lower than $27,500 on this one, but financing is 2.9% APR.")
    assert is_refusal("Absolutely. I'm sorry, but I can't continue this conversation due to the restrictions.")
    assert not is_refusal("I can't continue without heated seats, so this conversation is about the RAV4 now.")


def test_a_sentence_cut_off_by_the_token_limit_is_left_out():
    from salesgen.generate.text import cut_fragment

    line = "The Dropbox Plus plan is $119.88 a year. Do you want it? Thank you for"
    assert cut_fragment(line) == ("The Dropbox Plus plan is $119.88 a year. Do you want it?", True)
    assert cut_fragment('It has heated seats. "I love it!"') == ('It has heated seats. "I love it!"', False)
    assert cut_fragment("Let me know") == ("Let me know", False)  # one sentence: nothing left to keep


def test_variant_file_extends_the_default():
    concise = load_prompts("salesgen/prompts/concise.toml")
    default = load_prompts("salesgen/prompts/default.toml")
    assert concise.name == "concise"
    assert concise.sections["customer"] == default.sections["customer"]
    assert concise.sections["salesperson"]["system"] != default.sections["salesperson"]["system"]


def test_prompt_file_problems_are_input_errors(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\n[salesperson\n')
    with pytest.raises(InputError, match="not valid TOML"):
        load_prompts(bad)
    partial = tmp_path / "partial.toml"
    partial.write_text('name = "x"\n[salesperson]\nsystem = "hi"\n')
    with pytest.raises(InputError, match=r"lacks the text \[salesperson\] opening"):
        load_prompts(partial)
    broken = tmp_path / "broken.toml"
    broken.write_text('extends = "' + str(tmp_path.parent / "none.toml") + '"\n')
    with pytest.raises(InputError, match="cannot be read"):
        load_prompts(broken)


def test_narrated_lines_of_the_other_side_are_cut():
    text, notes = clean_line('I need an espresso machine. The salesperson says, "Great choice!"', ("Sam",), ("Alex",))
    assert text == "I need an espresso machine." and notes == ["leakage_removed"]


def test_a_line_the_speaker_narrates_keeps_its_quoted_words_and_loses_the_scripted_reply():
    """Seen in a generated opening: the salesperson Daniel writing a scene instead of a line."""
    raw = ('Daniel approaches the customer warmly and says "Hello! How may I assist you today? Are you considering '
           'a Dell XPS 14 or an Apple MacBook Air? " The customer may ask "What is the difference between them?')
    text, notes = clean_line(raw, ("Daniel",), ("Mia",))
    assert text == "Hello! How may I assist you today? Are you considering a Dell XPS 14 or an Apple MacBook Air?"
    assert notes == ["role_prefix_removed", "leakage_removed"]
    # Someone else's words quoted in the speaker's own line stay.
    own = 'My sister says "buy the quiet one", and I think she is right about that.'
    assert clean_line(own, ("Daniel",), ("Mia",)) == (own, [])


def test_loop_overlap_measures_repeated_four_grams():
    from salesgen.generate.text import ngram_overlap

    earlier = ["I am glad to have you in my store today."]
    assert ngram_overlap("I am glad to have you in my store today.", earlier) == 1.0
    assert ngram_overlap("The Jetta SE lists at $28,400 with a four-year warranty.", earlier) == 0.0
    assert ngram_overlap("anything", []) == 0.0


@pytest.mark.parametrize("line, narrated", [
    ("The salesperson explains that they specialize in smartphones, including the Pixel 8a.", True),
    ("The salesperson thanks you again for your help.", True),
    ("They mention that the warranty is three years.", True),
    ("I mention it because my last car broke down twice.", False),
    ("She says the price is firm.", True),
    ("The salesperson at my last store never asked about my budget.", False),
    ("Thanks, that helps. The customer service here is great.", False),
    ("I prefer Porsche. I ask if I can see the available options. I request the latest models.", True),
    ("I want a Toyota. He asks about my current car. I tell him it's old.", True),
    ("My sister borrows my car. She says it must be easy to drive.", False),
    ("I respond well to honest advice, and I request nothing fancy.", False),
    ("I ask because my old one broke, and I'd tell them the same.", False),
    ("Can I ask you something? I'd like to request a test drive.", False),
])
def test_a_line_that_narrates_the_conversation_is_recognised(line, narrated):
    from salesgen.generate.text import is_narration
    assert is_narration(line) is narrated


def test_name_slots_are_filled_and_other_slots_left_for_a_resample():
    names = {"customer": "Liam", "salesperson": "Grace", "store": "Summit Motors"}
    text, n = fill_placeholders("Thanks, [Customer's Name]! I'm [Your Name] at [Store Name]; it's [insert price].",
                                names, "salesperson")
    assert (text, n) == ("Thanks, Liam! I'm Grace at Summit Motors; it's [insert price].", 3)
    assert fill_placeholders("Bye, [Salesperson's Name]. [Your Name]", names, "customer") == ("Bye, Grace. Liam", 2)
    assert fill_placeholders("Deal. [[END]]", names, "customer") == ("Deal. [[END]]", 0)


def test_end_mark_variants_small_models_write():
    assert take_end_mark("I'll look into it further. (End)") == ("I'll look into it further.", True)
    assert take_end_mark("No deal. [END]") == ("No deal.", True)
    assert take_end_mark("Not the end (end) yet, tell me more.") == ("Not the end (end) yet, tell me more.", False)


def test_the_discount_floor_is_shown_as_private():
    car = next(p for p in Catalog.load().in_category("car") if p.min_price is not None and p.min_price < p.price)
    facts = catalog_facts([car])
    assert f"list price ${car.price:,.0f}" in facts and f"discount floor ${car.min_price:,.0f}" in facts
    assert "never say it" in facts and "lowest allowed" not in facts


def test_echoes_are_the_sentences_that_say_the_other_sides_words_not_the_shared_brief():
    from salesgen.core.words import echoes

    heard = "I want a sedan for snowy mountain roads. Good after-sales service matters to me too."
    line = ("The Subaru Legacy is a sedan for snowy mountain roads. Good after-sales service matters to me, too. "
            "It has all-wheel drive.")
    assert echoes(line, heard, "a sedan for snowy mountain roads; all-wheel drive") == [
        "Good after-sales service matters to me, too."]
    assert echoes(line, heard, heard) == []
    assert echoes("It has all-wheel drive.", heard, "") == []
    # the other side's needs said back, not in its first person, are no echo
    assert echoes("It suits what you need: a sedan for snowy mountain roads.", heard, "") == []
