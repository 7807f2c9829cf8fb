"""A planned line whose problems all sit in a few sentences is kept without them, when what is left is still in the
band and still carries its move; otherwise it is not mended (the voice writes it again)."""
from __future__ import annotations

from salesgen.core.words import count_words
from salesgen.generate.moves import Blemish
from salesgen.generate.voice import Speaker, Voice, VoiceOptions
from salesgen.llm.openai_chat import OpenAIChat

GOOD = ("The Ford F-150 XLT is $13,900, and it has SYNC voice control and cruise control for your long drives. "
        "The bed is big enough for the camping gear you mentioned, and the four doors fit the whole family. "
        "It has 128,000 miles on it, which is fair for its year. Would you like to take it for a drive today?")
BAD = "It also has heated seats for the cold mornings."


def _voice(min_words: int = 50, max_words: int = 75) -> Voice:
    # No call is made: mending is text work. The client only tells the voice whether the server takes a grammar.
    return Voice(OpenAIChat("http://127.0.0.1:9/v1", "none"), VoiceOptions(min_words=min_words, max_words=max_words))


def _check(text: str) -> list[str]:
    problems = ["feature \"heated seats\" contradicted"] if "heated seats" in text else []
    return problems + ([] if "$13,900" in text else ["does not state $13,900"])


SELLER, BUYER = Speaker("salesperson", "Rosa", None), Speaker("customer", "Mei", None)


def _mended(voice: Voice, line: str):
    return voice._mend(line, [], _check, SELLER, BUYER, _check(line))


def test_the_one_faulty_sentence_is_left_out():
    line = GOOD.replace(" The bed", f" {BAD} The bed")
    assert 50 <= count_words(line) <= 75 and _check(line)
    mended = _mended(_voice(), line)
    assert mended == (GOOD, 1, [])


def test_not_mended_when_the_rest_falls_under_the_band():
    line = GOOD.replace(" The bed", f" {BAD} The bed")
    assert _mended(_voice(min_words=count_words(GOOD) + 1, max_words=90), line) is None


def test_two_faulty_sentences_are_left_out_while_the_rest_stays_in_the_band():
    line = GOOD.replace(" The bed", f" {BAD} The bed").replace("for its year.", "for its year, with heated seats.")
    without = GOOD.replace(" It has 128,000 miles on it, which is fair for its year.", "")
    assert _mended(_voice(min_words=count_words(without)), line) == (without, 2, [])
    assert _mended(_voice(min_words=count_words(without) + 1), line) is None


def test_not_mended_when_the_faulty_sentence_carries_the_move():
    # The price the move must state is in the same sentence as the false claim: leaving it out loses the move.
    line = GOOD.replace("and it has SYNC", "and it has heated seats, SYNC")
    assert _mended(_voice(), line) is None


def test_a_cut_that_leaves_only_blemishes_cures_a_fault_and_none_is_made_for_a_blemish_alone():
    # The fault (heated seats) and a blemish (a question of its own) sit in two sentences; the band allows only one cut.
    ask = "Do you like the color?"
    line = GOOD.replace(" The bed", f" {BAD} The bed").replace("Would you like", f"{ask} Would you like")

    def check(t: str) -> list[str]:
        return _check(t) + ([Blemish("asks a question of its own")] if ask in t else [])

    voice = _voice(min_words=count_words(line) - count_words(BAD) - 1)  # room to leave out one sentence, not two
    rest, k, left = voice._mend(line, [], check, SELLER, BUYER, check(line))
    assert BAD not in rest and k == 1 and left == ["asks a question of its own"], rest
    # A line with only the blemish: a cut must leave fewer, and the band allows none that does.
    only = GOOD.replace("Would you like", f"{ask} Would you like")
    assert _voice(min_words=count_words(only))._mend(only, [], check, SELLER, BUYER, check(only)) is None


def test_a_number_split_after_its_comma_is_one_number_again():
    text, _ = _voice()._fit("It has 128, 000 miles and can tow 5, 000 pounds, 2, 3 or 4 times a year.", "Rosa", "Mei")
    assert "128,000 miles" in text and "5,000 pounds" in text and "2, 3 or 4" in text


def test_the_opening_sentence_stays_when_the_rules_wrote_it():
    # The opener (here the sentence with the price) is the rules' words: the faulty sentence must be another one.
    first = "The Ford F-150 XLT is $13,900, and it has heated seats for the cold mornings."
    rest = GOOD.split(". ", 1)[1]
    line = f"{first} {rest}"
    voice = _voice(min_words=35)
    heated = lambda t: [] if "heated" not in t else ["x"]  # noqa: E731
    assert voice._mend(line, [], heated, SELLER, BUYER, ["x"]) is not None
    assert voice._mend(line, [], heated, SELLER, BUYER, ["x"], keep_first=1) is None


def test_every_sentence_of_the_rules_opening_words_stays():
    # A price still above the budget said is owned up to in a second sentence of the opening words: a mend may not
    # take it out, whatever the check says of it.
    opener = "I can do $13,900 on the Ford F-150 XLT. That is still above the $12,000 you mentioned."
    line = f"{opener} {GOOD.split('. ', 1)[1]}"
    assert Voice._opening(line, [opener, "Another opener."]) == 2
    assert Voice._opening("Not an opener at all. Second.", [opener, "Another opener."]) == 1
    assert Voice._opening(line, []) == 0
    voice = _voice(min_words=35)
    flagged = lambda t: ["x"] if "above the" in t else []  # noqa: E731
    assert voice._mend(line, [], flagged, SELLER, BUYER, ["x"]) is not None
    assert voice._mend(line, [], flagged, SELLER, BUYER, ["x"], keep_first=Voice._opening(line, [opener])) is None


def test_a_line_that_runs_on_past_its_closing_words_ends_there():
    closer = "Would you like to take it for a drive today?"
    run_on = f"{GOOD} I need it by Friday. My wife wants the blue one."
    assert _voice()._end_at(run_on, closer) == (GOOD, True)
    assert _voice()._end_at(GOOD, closer) == (GOOD, False)  # it already ends there
    # Not when what is left falls under the band: the line is written again instead.
    assert _voice(min_words=count_words(GOOD) + 1, max_words=90)._end_at(run_on, closer) == (run_on, False)
    assert _voice()._end_at(run_on, "When do you need it by?") == (run_on, False)  # not said at all


def test_closing_words_the_rules_append_end_the_line_once():
    # A loopback server speaking the OpenAI protocol writes the body (55-70 words); the rules write the end.
    import asyncio
    import random

    from salesgen.generate.moves import Move
    from tools.fault_server import FaultServer

    closer = "What would you suggest?"

    async def say(append: bool) -> str:
        async with FaultServer() as url:
            model = OpenAIChat(url, "fault-model")
            try:
                move = Move("customer", "state_needs", "- what you need", closer=closer, append_closer=append)
                voice = Voice(model, VoiceOptions(min_words=50, max_words=90, retries=0))
                speaker = Speaker("customer", "Mei", None, [{"role": "system", "content": "You are a customer."}])
                line = await voice.say(speaker, SELLER, move, "(Your next line.)", [], lambda t: [],
                                       random.Random(1))
            finally:
                await model.aclose()
            return line.text

    appended, asked = asyncio.run(say(True)), asyncio.run(say(False))
    assert appended.endswith(" " + closer) and appended.count(closer) == 1, appended
    assert not asked.endswith(closer)  # asked for only, the words are the model's to say (this one never does)
    assert appended[:-len(closer)].strip() == asked


def test_closing_words_the_model_said_itself_are_appended_once_at_the_end():
    closer = "What would you suggest?"
    body = "I need a phone that lasts. My budget is tight. What would you suggest? I would go with the Pixel."
    assert Voice._before(body, closer) == "I need a phone that lasts. My budget is tight."
    assert Voice._before("I need a phone that lasts.", closer) == "I need a phone that lasts."
    assert Voice._append(Voice._before(body, closer), closer).count(closer) == 1


def test_closing_words_said_early_keep_the_words_after_them_where_those_before_are_too_few():
    closer = "What would you suggest?"
    body = "I need a phone that lasts. What would you suggest? My budget is tight and I travel a lot."
    assert Voice._before(body, closer, min_words=6) == "I need a phone that lasts."
    both = "I need a phone that lasts. My budget is tight and I travel a lot."
    assert Voice._before(body, closer, min_words=7) == both
