"""The free policy of the sales scenario (`--policy free`): two agents talk a sale through, the model deciding too;
turns in order, each validated and regenerated, then a structured decision."""
from __future__ import annotations

import asyncio
import json
import math
import random
import time
from dataclasses import dataclass, field
from typing import Any

from salesgen.core.catalog import Catalog
from salesgen.core.dialogue import (
    CUSTOMER,
    SALESPERSON,
    Dialogue,
    LineCheck,
    LineFlaw,
    Outcome,
    Persona,
    Product,
    Turn,
    Usage,
)
from salesgen.core.mentions import ProductIndex, core_name
from salesgen.core.rundir import utc_now
from salesgen.core.words import count_words, sentences
from salesgen.generate.moves import SimulationError
from salesgen.generate.text import (
    clean_line,
    cut_fragment,
    drop_sentences,
    echoed,
    fill_placeholders,
    is_narration,
    is_refusal,
    line_grammar,
    ngram_overlap,
    strip_acknowledgement,
    take_end_mark,
    trim_to_words,
)
from salesgen.llm.base import GRAMMAR, ChatModel
from salesgen.scenarios.sales.decisions import YES, decision_words
from salesgen.scenarios.sales.facts import catalog_facts
from salesgen.scenarios.sales.offer import final_offer
from salesgen.scenarios.sales.prices import closing_prices, same_amount, sells_for, within_budget
from salesgen.scenarios.sales.prompts import PromptSet

# A kept line with one of these repeated earlier turns in every try: from the minimum exchange on, the talk is over.
_STALL_NOTES = {"loop_unmet", "repetition_unmet"}


@dataclass
class SimOptions:
    max_exchanges: int = 5
    min_words: int = 50
    max_words: int = 75
    max_retries: int = 2  # regenerations per turn after the first try
    min_exchanges: int = 3  # the customer's end mark is ignored before this: small models say goodbye at once
    max_overlap: float = 0.5  # share of a line's 4-grams already said; above it the line is a loop, resampled
    temperature: float | None = None  # None: the model's default (0.7)
    top_p: float | None = None
    tokens_per_word: float = 2.0  # generation budget per allowed word; trimming handles the overshoot
    line_grammar: bool = True  # on servers with a grammar (llm.base.GRAMMAR), decode lines under text.line_grammar


@dataclass
class World:
    """Names and places the prompts mention, plus the persona behaviour texts."""

    seller_names: list[str]
    stores: dict[str, str]
    behaviours: dict[str, str] = field(default_factory=dict)


@dataclass
class Agent:
    role: str
    name: str
    slot: int | None
    messages: list[dict[str, str]]

    def hear(self, text: str) -> None:
        self.messages.append({"role": "user", "content": text})

    def said(self, text: str) -> None:
        self.messages.append({"role": "assistant", "content": text})


def decision_schema(product_names: list[str], prices: list[float] | None = None,
                    said: str | None = None) -> dict[str, Any]:
    """Either a purchase (a product in play and a price) or a refusal: no "bought true, product none". With `prices`
    the price is one of them (a small model otherwise writes a figure no one said); with what the customer `said`
    only the matching branch: YES a purchase, anything else a refusal."""
    price = {"enum": [int(p) if p == int(p) else p for p in dict.fromkeys(prices)]} if prices else {"type": "number"}
    bought = {"type": "object", "properties": {"bought": {"const": True},
                                               "product": {"type": "string", "enum": product_names},
                                               "price": price},
              "required": ["bought", "product", "price"]}
    declined = {"type": "object", "properties": {"bought": {"const": False}, "product": {"const": "none"},
                                                 "price": {"type": "null"}},
                "required": ["bought", "product", "price"]}
    if said is None:
        return {"anyOf": [bought, declined]}
    return bought if said == YES else declined


def impossible_yes(text: str, products: list[Product], persona: Persona) -> bool:
    """A yes at a price the decision judge fails: over the list price of the product it names, under its discount
    floor ("I'll take it at $680", the budget, for a $749 machine whose floor is $699) or over a budget the persona
    may not stretch. The closing line is asked again instead of the dialogue being discarded at the end."""
    words = decision_words()
    if words.in_text(text)[0] != YES:
        return False
    # The sentence that says yes names the price; elsewhere the line may well mention the budget.
    yes = next((s for s in reversed(sentences(text)) if words.in_text(s)[0] == YES), text)
    index = ProductIndex(Catalog(products))
    named = index.named(yes) or index.named(text) or products[:1]
    cheapest = min(p.price for p in named)
    stated = closing_prices([Turn(role=CUSTOMER, text=yes, timestamp="")], cheapest)
    if not stated:  # the decision will take a list price: the cheapest named one must be within the budget
        return not within_budget(cheapest, persona)
    # The price rules _decide and the decision judge hold a purchase to (scenarios.sales.prices).
    return any(not (within_budget(x, persona) and any(sells_for(x, p) for p in named)) for x in stated)


def undecided(text: str, products: list[Product], persona: Persona) -> bool:
    """A closing line that leaves the decision to a guess: no yes or no in words (or both), a yes the persona cannot
    pay, or a question after the decision, which reopens the talk ("I'll take the Lexus ES 350 at $44,400. ... Do
    you have any other options?"). Reasons and thanks after it are fine: a line that starts with its decision can
    only be continued after it."""
    words = decision_words()
    if not words.decides(text) or impossible_yes(text, products, persona):
        return True
    return "?" in words.after(text)


def parse_decision(text: str, products: list[Product]) -> Outcome:
    """Read the customer's JSON decision; anything unusable becomes an Outcome with an error, never a guess."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        return Outcome(bought=None, raw=text, error=f"decision is not valid JSON ({e.msg})")
    if not isinstance(data, dict) or not isinstance(data.get("bought"), bool):
        return Outcome(bought=None, raw=text, error="decision lacks a true/false \"bought\"")
    if not data["bought"]:
        return Outcome(bought=False, raw=text)
    name = str(data.get("product") or "")
    product = next((p for p in products if p.name.lower() == name.lower()), None)
    price = data.get("price")
    if product is None:
        return Outcome(bought=None, product_name=name, raw=text, error=f"bought an unknown product \"{name}\"")
    # json.loads accepts NaN and Infinity, which would later break int() in the Car Dealer output.
    if isinstance(price, bool) or not isinstance(price, int | float) or not math.isfinite(price) or price <= 0:
        return Outcome(bought=None, product_id=product.id, product_name=product.name, raw=text,
                       error="bought without a positive price")
    return Outcome(bought=True, product_id=product.id, product_name=product.name, price=float(price), raw=text)


class Simulator:
    def __init__(self, model: ChatModel, prompts: PromptSet, world: World, opts: SimOptions,
                 line_check: LineCheck | None = None):
        """`line_check` (the judge panel's, wired by the pipeline) names what in a candidate line would cost the
        dialogue a floor or a veto at the end: such a line is repaired (its faulty sentence left out) or resampled."""
        self.model, self.prompts, self.world, self.opts = model, prompts, world, opts
        self.line_check = line_check
        # Other servers ignore or reject GBNF: for them lines are only validated, repaired and regenerated.
        self.grammar = line_grammar() if opts.line_grammar and GRAMMAR in model.abilities else None
        # For a resample after a try that stopped short by itself (_speak).
        self.held_grammar = line_grammar(opts.min_words) if self.grammar else None

    async def _flaws(self, dialogue: Dialogue, role: str, text: str) -> list[LineFlaw]:
        if self.line_check is None or not text:
            return []
        # CPU-bound regular expressions: off the event loop, as the panel runs its rules, so other dialogues move.
        return await asyncio.to_thread(self.line_check, dialogue.with_line(role, text))

    def _agents(self, persona: Persona, products: list[Product], seller: str, store: str,
                examples: str, slots: tuple[int, int] | None) -> tuple[Agent, Agent]:
        o = self.opts
        p = self.prompts
        s_sys = p.render("salesperson", "system", seller_name=seller, store=store, category=persona.category,
                         catalog_facts=catalog_facts(products), min_words=o.min_words, max_words=o.max_words,
                         examples=examples)
        brand = f" You prefer {persona.preferred_brand}." if persona.preferred_brand else ""
        if persona.preferred_type:
            brand += f" You want a {persona.preferred_type}."
        budget_rule = ("you could stretch a little above it for the right product." if persona.over_budget_ok
                       else "you will not pay more than that.")
        c_sys = p.render("customer", "system", name=persona.name, needs=persona.needs or f"a {persona.category}",
                         personality=persona.personality,
                         personality_behaviour=self.world.behaviours.get(persona.personality, ""),
                         strategy=persona.strategy or "buys what fits the needs and budget",
                         must_haves=", ".join(persona.preferred_features) or "none in particular",
                         brand_line=brand, budget=f"{persona.budget:,.0f}", budget_rule=budget_rule,
                         min_words=o.min_words, max_words=o.max_words)
        salesperson = Agent(SALESPERSON, seller, slots[0] if slots else None, [{"role": "system", "content": s_sys}])
        customer = Agent(CUSTOMER, persona.name, slots[1] if slots else None, [{"role": "system", "content": c_sys}])
        salesperson.hear(p.render("salesperson", "opening", min_words=o.min_words, max_words=o.max_words))
        return salesperson, customer

    async def _speak(self, agent: Agent, other: Agent, dialogue: Dialogue, rng: random.Random,
                     decide: list[Product] | None = None) -> tuple[Turn, bool]:
        """One validated line: continued once when short; resampled when out of the word band, a refusal, a loop, a
        narration of the conversation, flawed by the line check or, when it must `decide` (the customer's closing
        line, `decide` then holds the products in play), without a yes or a no in words (or with both) or with a yes
        at a price the persona cannot pay; trimmed at a sentence end.

        Resampling reuses the same prompt (its prefix stays cached); an in-context "too short" note was tried first
        and small models echoed it into the conversation. After a try that stopped short by itself, resamples are
        held to the minimum.
        """
        o = self.opts
        earlier = [t.text for t in dialogue.turns]
        usage, notes = Usage(), []
        best: tuple[float, str, bool, list[str]] | None = None  # (badness, text, ended, rules it breaks)
        max_tokens = int(o.max_words * o.tokens_per_word) + 16
        attempts = 0
        # Not the opening line: with no one to answer yet, a continuation tends to answer an imagined reply. One per
        # turn: a second one, after a resample, was refused as often as not (make-run, 953ca46: 28 calls per dialogue).
        can_extend = bool(earlier) and self._can_extend(agent)
        # What the speaker was asked, without the other side's quoted line: a sentence that reads it back goes.
        asked = agent.messages[-1]["content"] if agent.messages[-1]["role"] == "user" else ""
        instruction = asked.rsplit('"\n\n(', 1)[-1]
        # After a try that stopped short by itself (no continuation left, or one refused), the resample may not stop
        # before the minimum: free, it rarely ends later (openings of 46, 39 and 49 words after 3 tries, BENCHMARKS
        # §2i). Not after a line made short by the sentences left out of it: held, it wrote more copies, left out
        # again; nor for the closing line, whose decision comes last. The first try stays free: §2f.
        held = False
        for attempt in range(1, o.max_retries + 2):
            attempts = attempt
            temperature = None if o.temperature is None else min(1.2, o.temperature + 0.15 * (attempt - 1))
            c = await self.model.complete(agent.messages, max_tokens=max_tokens, temperature=temperature,
                                          top_p=o.top_p, slot=agent.slot, seed=rng.randrange(2**31),
                                          grammar=self.held_grammar if held else self.grammar)
            notes += ["held_to_minimum"] * bool(held and self.held_grammar)
            usage.add(c.usage)
            text, ended, fixes = self._clean(c.text, agent, other, dialogue)
            notes += [f for f in fixes if f not in notes]
            if is_refusal(text):
                notes.append("refusal_regenerated")
                continue
            words = count_words(text)
            stopped_short = words < o.min_words  # by itself: not cut by the trim or by the sentences left out below
            if words > o.max_words:
                # Cut at the last sentence end within the band; below its minimum only when a continuation can
                # make up the rest (far fewer tokens than the resample a line over the band would cost).
                trimmed = trim_to_words(text, o.max_words, 1 if can_extend else o.min_words, keep_last=bool(decide))
                if trimmed is not None:
                    notes.append("trimmed")
                    text, words = trimmed, count_words(trimmed)
            flaws = await self._flaws(dialogue, agent.role, text)
            # Not a sentence with a price: "I take the Elantra at $8,900" is meant to repeat the close's words.
            echo = [s for s in echoed(text, instruction) if "$" not in s]
            notes += ["echo_dropped"] * bool(echo)
            text, dropped = drop_sentences(text, [f.sentence for f in flaws] + echo)
            if dropped:
                notes.append("sentence_dropped")
                words, flaws = count_words(text), await self._flaws(dialogue, agent.role, text)
            if not words:
                continue
            loop = ngram_overlap(text, earlier)
            narrated = is_narration(text)  # kept only as a last resort: better a reported line than no dialogue
            # Small models stop early, and a resample rarely ends later.
            if words < o.min_words and loop <= o.max_overlap and not narrated and can_extend:
                can_extend = False
                longer, u = await self._extend(agent, other, dialogue, text, words, earlier, rng)
                usage.add(u)
                if longer is not None and decide and undecided(longer, decide, dialogue.persona) \
                        and not undecided(text, decide, dialogue.persona):
                    notes.append("extension_refused")  # it took back a decision the short line had made
                elif longer is not None:
                    notes.append("extended")
                    text, words, loop = longer, count_words(longer), ngram_overlap(longer, earlier)
                    flaws = await self._flaws(dialogue, agent.role, text)
                else:
                    notes.append("extension_refused")  # a restatement, a refusal or no new words: resampled
            band = o.min_words - words if words < o.min_words else max(0, words - o.max_words)
            held = held or (stopped_short and words < o.min_words and not decide)
            flawed = list(dict.fromkeys(f.rule for f in flaws))  # each judge that objects, once
            if decide and undecided(text, decide, dialogue.persona):
                flawed.append("decision")  # "I'll weigh my options" leaves the decision to a guess
            badness = band / o.max_words + max(0.0, loop - o.max_overlap) * 2 + narrated * 2 + len(flawed) * 2
            if best is None or badness < best[0]:
                broken = ["word_count_unmet"] * (band > 0) + ["loop_unmet"] * (loop > o.max_overlap) \
                    + ["narration_unmet"] * narrated + [f"{r}_unmet" for r in flawed]
                best = (badness, text, ended, broken)
            if badness == 0:
                break
            notes.append("narration_regenerated" if narrated else
                         "loop_regenerated" if loop > o.max_overlap else
                         f"{flawed[0]}_regenerated" if flawed else "length_regenerated")
        if best is None:
            raise SimulationError(f"the {agent.role} model returned no usable text in {attempts} tries")
        notes += best[3]  # each rule the kept line still breaks: the judge and the tests read these notes
        return Turn(role=agent.role, text=best[1], timestamp=utc_now(), usage=usage, attempts=attempts,
                    notes=notes), best[2]

    @staticmethod
    def _clean(raw: str, agent: Agent, other: Agent, dialogue: Dialogue) -> tuple[str, bool, list[str]]:
        """The line without labels, the other side's words and the end mark; name slots filled. (text, ended, notes)"""
        text, notes = clean_line(raw, (agent.name,), (other.name,))
        text, ended = take_end_mark(text)
        text, cut = cut_fragment(text)
        names = {agent.role: agent.name, other.role: other.name, "store": dialogue.extra.get("store", "")}
        text, filled = fill_placeholders(text, names, agent.role)
        return text, ended, notes + ["fragment_cut"] * cut + ["placeholder_filled"] * bool(filled)

    def _can_extend(self, agent: Agent) -> bool:
        return self.prompts.has(agent.role, "extend")

    async def _extend(self, agent: Agent, other: Agent, dialogue: Dialogue, text: str, words: int,
                      earlier: list[str], rng: random.Random) -> tuple[str | None, Usage]:
        """Ask the speaker to go on from a line that stopped short; the line plus what it adds, or None.

        The request is the agent's conversation plus its short line, so only the few new tokens are processed.
        """
        o = self.opts
        ask = self.prompts.render(agent.role, "extend", text=text, words=words, speaker=agent.name,
                                  min_words=o.min_words, max_words=o.max_words, more=o.min_words - words)
        c = await self.model.complete(agent.messages + [{"role": "assistant", "content": text},
                                                        {"role": "user", "content": ask}],
                                      max_tokens=int((o.max_words - words) * o.tokens_per_word) + 16,
                                      temperature=o.temperature, top_p=o.top_p, slot=agent.slot,
                                      seed=rng.randrange(2**31),
                                      grammar=self.grammar and line_grammar(o.min_words - words))
        more, _, _ = self._clean(c.text, agent, other, dialogue)
        more = strip_acknowledgement(more)
        # The addition must be new words in the speaker's voice, not a restatement or an assistant's aside: its
        # sentences that restate the line or earlier turns go, the new ones stay.
        more = " ".join(s for s in sentences(more) if ngram_overlap(s, [text, *earlier]) <= o.max_overlap)
        if not more or is_refusal(more):
            return None, c.usage
        longer = f"{text} {more}"
        if count_words(longer) > o.max_words:
            longer = trim_to_words(longer, o.max_words, o.min_words) or longer
        return (longer if count_words(longer) > words else None), c.usage

    def _relay(self, listener: Agent, dialogue: Dialogue, closing: bool, products: list[Product]) -> str:
        """The last line, as the listener hears it: with the closing instruction when the variant has one."""
        key = "close" if closing and self.prompts.has(listener.role, "close") else "relay"
        text = dialogue.turns[-1].text
        values: dict[str, str] = {}
        if key == "close" and listener.role == CUSTOMER:
            p = dialogue.persona
            # The budget again where the customer decides: the 1.5B customer said yes over it in 9 of 10 closes.
            limit = f"${p.budget:,.0f}" + (" (a little more for the right product)" if p.over_budget_ok else "")
            # The offer as said, and how it stands against the budget: a 1.5B model neither copies a price nor
            # compares two reliably, and named its budget as the price in 6 of 10 closes.
            offer = final_offer(text, products)
            dialogue.extra["offer"] = offer.record()
            price = f"${offer.price:,.0f}"
            over = offer.price - p.budget if p.budget and not same_amount(offer.price, p.budget, 0.0001) else 0.0
            fit = (f"{price} is within your budget of ${p.budget:,.0f}" if over <= 0
                   else f"{price} is ${over:,.0f} over your budget of ${p.budget:,.0f}")
            values = {"budget_limit": limit, "offer_product": core_name(offer.product), "offer_price": price,
                      "offer_fit": fit}
            # Over a budget the persona may not stretch, the persona has decided already: the customer is asked for
            # the refusal in words (told it was over budget, the 1.5B customer still said yes in all 3 tries).
            if not offer.fits(p) and self.prompts.has(CUSTOMER, "close_over"):
                key = "close_over"
        return self.prompts.render(listener.role, key, text=text, speaker=listener.name,
                                   min_words=self.opts.min_words, max_words=self.opts.max_words, **values)

    async def _decide(self, customer: Agent, dialogue: Dialogue, products: list[Product],
                      rng: random.Random) -> tuple[Outcome, Usage]:
        """The decision as JSON, held to the words: a yes in the customer's last lines can only be recorded as a
        purchase, a no or no clear yes only as a refusal (a small model otherwise records a sale nearly every time)."""
        # Only products the talk named: a small model otherwise "buys" a catalog item no one mentioned.
        index = ProductIndex(Catalog(products))
        talked_of = {p.id for p in index.named(" ".join(t.text for t in dialogue.turns))}
        named = [p for i, p in enumerate(products) if i == 0 or p.id in talked_of]
        said = decision_words().said(dialogue.turns)
        dialogue.extra["said"] = said.words
        ref = min(p.price for p in named) or None
        prices = closing_prices(dialogue.turns, ref) or [p.price for p in named]
        if said.turn is not None:
            # "I'll take the Corolla at $29,000": the product and price of the line that says yes, when it names them.
            line = dialogue.turns[said.turn]
            in_line = {p.id for p in index.named(line.text)}
            named = [p for p in named if p.id in in_line] or named
            prices = closing_prices([line], ref) or prices
        # A price is one the bought product may sell at: not over the sticker (an amount over it is a budget or a
        # total), not under the discount floor, and not another product's ("I'll go with the Corolla", after the
        # Elantra's $8,900 was said, was recorded as a Corolla at $8,900).
        fitting = [p for p in named if any(sells_for(x, p) for x in prices)]
        named = fitting or named
        prices = [x for x in prices if any(sells_for(x, p) for p in named)] or [p.price for p in named]
        schema = decision_schema([p.name for p in named], prices, said.words)
        prompt = self.prompts.render("decision", "prompt", name=dialogue.persona.name)
        usage = Usage()
        outcome = Outcome(bought=None, error="no decision requested")
        for _ in range(2):  # one retry: a constrained reply should parse, but a server may ignore the schema
            c = await self.model.complete(customer.messages + [{"role": "user", "content": prompt}], max_tokens=80,
                                          temperature=0.2, json_schema=schema, slot=customer.slot,
                                          seed=rng.randrange(2**31))
            usage.add(c.usage)
            outcome = parse_decision(c.text.strip(), named)
            if outcome.error is None:
                break
        return outcome, usage

    async def run(self, dialogue: Dialogue, alternatives: list[Product], examples: str = "",
                  slots: tuple[int, int] | None = None) -> Dialogue:
        """Play the dialogue out; fills turns, outcome, usage and timing (status is the judge's job)."""
        assert dialogue.product is not None
        rng = random.Random(f"{dialogue.seed}:{dialogue.index}:talk")
        products = [dialogue.product, *alternatives]
        seller = rng.choice(self.world.seller_names)
        store = self.world.stores.get(dialogue.persona.category, self.world.stores.get("default", "our store"))
        salesperson, customer = self._agents(dialogue.persona, products, seller, store, examples, slots)
        dialogue.started = utc_now()
        dialogue.extra.update(seller=seller, store=store, alternatives=[p.id for p in alternatives])
        t0 = time.perf_counter()
        last = self.opts.max_exchanges
        closing = False  # the closing exchange: the salesperson's final offer, then the customer's decision in words
        decided = False
        for n in range(1, last + 1):
            for speaker, listener in ((salesperson, customer), (customer, salesperson)):
                closing = closing or n == last
                turn, ended = await self._speak(speaker, listener, dialogue, rng,
                                                products if closing and speaker is customer else None)
                if _STALL_NOTES & set(turn.notes) and n >= self.opts.min_exchanges and not closing and dialogue.turns:
                    # Small models trade thanks in a loop. Kept, the line would sink the dialogue under the repetition
                    # floor; dropped, the talk would end with no decision in words. It is asked again as the close.
                    dialogue.extra["stalled"] = {"turn": len(dialogue.turns) + 1, "role": turn.role}
                    dialogue.usage.add(turn.usage)
                    closing = True
                    speaker.messages[-1] = {"role": "user",
                                            "content": self._relay(speaker, dialogue, closing, products)}
                    turn, ended = await self._speak(speaker, listener, dialogue, rng,
                                                    products if speaker is customer else None)
                    turn.notes.insert(0, "closing_after_stall")
                dialogue.turns.append(turn)
                dialogue.usage.add(turn.usage)
                speaker.said(turn.text)
                if speaker is customer:
                    if closing:  # this line was asked for as the decision
                        decided = True
                        break
                    if ended and n >= self.opts.min_exchanges:
                        # The customer's own end mark closes the talk when the line says yes or no; without either,
                        # the close follows: a final offer, then the decision in words.
                        decided = decision_words().decides(turn.text)
                        if decided:
                            break
                        closing = True
                # The customer's line before the closing exchange is answered by the final offer.
                listener.hear(self._relay(listener, dialogue, closing or (listener is salesperson and n + 1 == last),
                                           products))
            if decided:
                break
        dialogue.outcome, usage = await self._decide(customer, dialogue, products, rng)
        dialogue.usage.add(usage)
        dialogue.timing["generate"] = round(time.perf_counter() - t0, 3)
        dialogue.finished = utc_now()
        return dialogue
