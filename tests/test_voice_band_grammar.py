"""The band grammar on a real llama.cpp server: a planned line opens with one of its openers, states no amount but
those allowed, and stops inside the band at a sentence end; on the last try it cannot run past the band."""
from __future__ import annotations

import random
import re

from salesgen.core.words import count_words, ends_sentence
from salesgen.generate.moves import Blemish, Move
from salesgen.generate.text import band_grammar
from salesgen.generate.voice import Speaker, Voice, VoiceOptions
from salesgen.llm.base import LLAMA_CPP
from salesgen.llm.openai_chat import OpenAIChat
from salesgen.scenarios.sales.prices import find_money

# Its own system prompt: a prompt sharing test_line_grammar's prefix left the slot cache warm for it and changed
# what that test's seeds decode.
ASK = [{"role": "system", "content": "Laptop shop. You are Rita, who sells laptops; reply in 3 to 5 sentences."},
       {"role": "user", "content": "I need a light laptop for college. What do you have, and how much is it? "
                                   "My friend paid $350 for hers."}]
OPENERS = ["The Acer Swift Go at $699 is", "I'd suggest the Acer Swift Go at $699, because"]


async def test_lines_open_as_told_and_state_only_the_allowed_amounts(embedded_tiny):
    async with OpenAIChat(embedded_tiny.openai_base_url, "tiny", abilities=LLAMA_CPP, n_slots=2, timeout=300) as chat:
        for seed in range(4):
            c = await chat.complete(ASK, max_tokens=200, seed=seed, slot=0,
                                    grammar=band_grammar(25, 40, ["$649"], overrun=10, openers=OPENERS))
            assert c.text.startswith(tuple(OPENERS)), c.text
            # Never the $350 it heard: no "$" amount but the allowed ones ("3,000 bucks" is the move check's to catch).
            assert {m.text for m in find_money(c.text) if m.text.startswith("$")} <= {"$699", "$649"}, c.text
            assert 25 <= count_words(c.text) <= 50 and ends_sentence(c.text), (count_words(c.text), c.text)
            assert "\n" not in c.text and '"' not in c.text and ":" not in c.text


async def test_figures_are_only_the_allowed_ones(embedded_tiny):
    # The prompt is full of numbers; the line may state 13 and 16 (with a unit: "13-inch", "16GB") and no other.
    ask = [ASK[0], {"role": "user", "content": "I need 16 GB of memory and a 13 or 14 inch screen, under 3 pounds, "
                                               "with 10 hours of battery. My friend got 512 GB for 2024. Options?"}]
    async with OpenAIChat(embedded_tiny.openai_base_url, "tiny", abilities=LLAMA_CPP, n_slots=2, timeout=300) as chat:
        said = set()
        for seed in range(4):
            c = await chat.complete(ask, max_tokens=200, seed=seed, slot=1,
                                    grammar=band_grammar(25, 40, overrun=10, figures=["13", "16", "1,500"]))
            # Every word that starts with a digit is an allowed figure, or two joined ("13x16"), then letters.
            figures = [w for w in c.text.split() if w[0].isdigit()]
            fig = r"(?:13|16|1,500)"
            assert all(re.fullmatch(rf"{fig}(?:[x-]{fig})?[A-Za-z%'’-]*[.,;!?]?", w) for w in figures), c.text
            said |= set(figures)
        assert said, "the tiny model states some figure in four tries when the prompt is full of them"


async def test_without_overrun_the_line_is_in_the_band(embedded_tiny):
    async with OpenAIChat(embedded_tiny.openai_base_url, "tiny", abilities=LLAMA_CPP, n_slots=2, timeout=300) as chat:
        for seed in range(3):
            c = await chat.complete(ASK, max_tokens=200, seed=seed, slot=1, grammar=band_grammar(20, 30, overrun=0))
            assert 20 <= count_words(c.text) <= 30 and ends_sentence(c.text), (count_words(c.text), c.text)



async def test_a_blemish_is_left_as_it_is_and_only_a_fault_writes_the_line_again(embedded_tiny):
    move = Move(role="salesperson", act="recommend", brief="- the Acer Swift Go at $699, light enough for college")
    async with OpenAIChat(embedded_tiny.openai_base_url, "tiny", abilities=LLAMA_CPP, n_slots=2, timeout=300) as chat:
        voice = Voice(chat, VoiceOptions(min_words=20, max_words=40, retries=1))
        lines = {}
        for kind, problem in (("blemish", Blemish("a slip")), ("fault", "a fault")):
            seller, buyer = Speaker("salesperson", "Rita", 0, [ASK[0]]), Speaker("customer", "Mei", None)
            lines[kind] = await voice.say(seller, buyer, move, ASK[1]["content"], [], lambda _t, p=problem: [p],
                                          random.Random(0))
    # Written again only if its first try missed the band (a fault), never for the blemish alone.
    blemish = lines["blemish"]
    assert "unmet: a slip" in blemish.notes, blemish
    assert blemish.attempts == 1 or "words, outside" in next(n for n in blemish.notes if n.startswith("rewritten")), \
        blemish
    assert lines["fault"].attempts == 2 and "unmet: a fault" in lines["fault"].notes, lines["fault"]


async def test_a_line_no_one_answers_ends_no_sentence_on_a_question(embedded_tiny):
    # Asked for questions, the model ends sentences on "?" under the usual grammar; without `questions` it cannot.
    ask = [ASK[0], {"role": "user", "content": "Ask me three short questions about what I need in a laptop."}]
    async with OpenAIChat(embedded_tiny.openai_base_url, "tiny", abilities=LLAMA_CPP, n_slots=2, timeout=300) as chat:
        asked = 0
        for seed in range(3):
            free = await chat.complete(ask, max_tokens=120, seed=seed, slot=1, grammar=band_grammar(20, 30))
            asked += "?" in free.text
            c = await chat.complete(ask, max_tokens=120, seed=seed, slot=1,
                                    grammar=band_grammar(20, 30, questions=False))
            assert "?" not in c.text and ends_sentence(c.text), c.text
        assert asked, "the prompt draws questions where the grammar allows them"
