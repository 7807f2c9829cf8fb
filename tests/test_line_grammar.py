"""The line grammar: a real llama.cpp server decodes one paragraph of plain text that ends a sentence, and a
continuation at least as long as its line lacks; the simulator asks for it only where the server is llama.cpp."""
from __future__ import annotations

import re

from salesgen.core.catalog import Catalog
from salesgen.core.dialogue import CUSTOMER, SALESPERSON, Dialogue, LineFlaw, Persona
from salesgen.core.words import count_words, sentences
from salesgen.generate.text import line_grammar
from salesgen.llm.base import LLAMA_CPP
from salesgen.llm.openai_chat import OpenAIChat
from salesgen.llm.retry import RetryPolicy
from salesgen.scenarios.sales.free import SimOptions, Simulator, World
from salesgen.scenarios.sales.prompts import load_prompts

ASK = [{"role": "system", "content": "You are Sam, a salesperson in a laptop shop. Answer in 3 to 5 sentences."},
       {"role": "user", "content": "Hi, I need a light laptop for college that is not too pricey. What do you have?"}]
ENDS_A_SENTENCE = re.compile(r"[.!?][\"')\u2019\u201d]?$|\[\[END\]\]$")


async def test_real_server_decodes_plain_paragraphs_and_the_minimum(embedded_tiny):
    # SmolLM2-135M, free, wrote 37, 122 and 40 words for this prompt, over several lines; under the grammar each reply
    # is one line of plain words ending a sentence, and with a minimum of 60 words none is shorter.
    async with OpenAIChat(embedded_tiny.openai_base_url, "tiny", abilities=LLAMA_CPP, n_slots=2, timeout=300) as chat:
        for seed, minimum in ((0, 0), (1, 0), (0, 60), (2, 60)):
            c = await chat.complete(ASK, max_tokens=300, seed=seed, slot=0, grammar=line_grammar(minimum))
            words = c.text.split(" ")
            assert c.finish_reason == "stop" and ENDS_A_SENTENCE.search(c.text), c.text
            assert "\n" not in c.text and ":" not in c.text and "[" not in c.text, c.text
            assert all(len(w) <= 21 and w.isascii() for w in words), c.text  # 20, then the sentence end
            assert len(words) >= minimum + 2, (len(words), c.text)


def _dialogue() -> Dialogue:
    car = Catalog.load().in_category("car")[0]
    persona = Persona(id="p", name="Dana", personality="polite", category="car", budget=car.price * 1.2)
    return Dialogue(id="t-0", index=0, persona=persona, product=car, variant="default", seed=1)


async def _talk(srv, slots: bool, max_retries: int, line_check=None, min_words: int = 80) -> Dialogue:
    """One exchange against the fault server (55-70 words a line) asked for min_words-100; its requests in srv.recent.
    The canned sentences repeat across lines: the loop rule is off, or it would resample instead of continuing."""
    srv.recent.clear()
    world = World(seller_names=["Alex"], stores={"default": "the store"})
    opts = SimOptions(max_exchanges=1, min_words=min_words, max_words=100, max_retries=max_retries,
                      max_overlap=1.01)
    async with OpenAIChat(srv.url, "fault-model", abilities=LLAMA_CPP if slots else (), n_slots=3,
                          retry=RetryPolicy(max_attempts=1)) as chat:
        return await Simulator(chat, load_prompts(), world, opts, line_check).run(_dialogue(), [])


def _opening(srv) -> list[dict]:
    """The salesperson's requests that hold only its system prompt and the opening request."""
    return [b for b in srv.recent if len(b["messages"]) == 2 and b["messages"][0]["content"].startswith("You are Alex")]


async def test_grammar_goes_to_llama_cpp_servers_and_a_continuation_gets_the_missing_words(fault_server):
    # The fault server writes 55-70 words; asked for 80-100, a line is short and continued (the opening never is).
    srv = fault_server(script=["ok"] * 20)
    for slots in (True, False):
        d = await _talk(srv, slots, max_retries=0)
        assert [t.role for t in d.turns] == [SALESPERSON, CUSTOMER]
        lines = [b for b in srv.recent if "response_format" not in b]  # not the JSON decision
        extensions = [b for b in lines if b["messages"][-1]["content"].startswith("(Go on")]
        assert extensions and len(lines) > len(extensions)
        assert all("grammar" not in b for b in srv.recent if "response_format" in b)
        if not slots:
            assert all("grammar" not in b for b in lines)
            continue
        assert all(b["grammar"] == line_grammar() for b in lines if b not in extensions)
        for b in extensions:
            short = count_words(b["messages"][-2]["content"])
            assert b["grammar"] == line_grammar(80 - short), short
    async with OpenAIChat(srv.url, "fault-model", abilities=LLAMA_CPP) as chat:
        world = World(seller_names=["Alex"], stores={"default": "the store"})
        assert Simulator(chat, load_prompts(), world, SimOptions(line_grammar=False)).grammar is None


async def test_a_resample_after_a_short_try_is_held_to_the_minimum(fault_server):
    # The fault server writes 55-70 words; asked for 80-100, the opening (never continued) is short, so its resample
    # may not stop before 80 words. A server without slots gets no grammar, so nothing is held there.
    srv = fault_server(script=["ok"] * 20)
    for slots in (True, False):
        d = await _talk(srv, slots, max_retries=2)
        opening = _opening(srv)
        assert len(opening) == 3 and d.turns[0].attempts == 3  # this server ignores a grammar: short every time
        if slots:
            assert [b["grammar"] for b in opening] == [line_grammar(), line_grammar(80), line_grammar(80)]
            assert d.turns[0].notes.count("held_to_minimum") == 2
            # The customer's closing line is resampled too (the canned text decides nothing), but never held: its
            # decision comes last, and a line that may not stop talks on past it.
            closing = [b for b in srv.recent if b["messages"][0]["content"].startswith("You are Dana")
                       and "response_format" not in b and not b["messages"][-1]["content"].startswith("(Go on")]
            assert len(closing) == 3 and all(b["grammar"] == line_grammar() for b in closing)
            assert "held_to_minimum" not in d.turns[1].notes
        else:
            assert all("grammar" not in b for b in opening) and "held_to_minimum" not in d.turns[0].notes


async def test_a_line_made_short_by_left_out_sentences_is_not_held(fault_server):
    # Asked for 50-100 words, the fault server's 55-70 are in the band; the line check objects to every sentence of the
    # opening but its first, and left out they make the line short. Held to the minimum, such a resample wrote more
    # copies, left out again (§2i): it stays free.
    def all_but_first(d: Dialogue) -> list[LineFlaw]:
        line = d.turns[-1]
        rest = sentences(line.text)[1:] if line.role == SALESPERSON and len(d.turns) == 1 else []
        return [LineFlaw(rule="repetition", reason="a copy", sentence=s) for s in rest]

    srv = fault_server(script=["ok"] * 20)
    d = await _talk(srv, True, max_retries=1, line_check=all_but_first, min_words=50)
    assert d.turns[0].attempts == 2 and "sentence_dropped" in d.turns[0].notes
    assert [b["grammar"] for b in _opening(srv)] == [line_grammar(), line_grammar()], d.turns[0].notes
    assert "held_to_minimum" not in d.turns[0].notes
