"""Planned dialogues: each side's policy decides its move, the voice writes it as one line, the episode records the
outcome its policies reached. Domain-free: the scenario supplies the episode (policies, briefs, checks)."""
from __future__ import annotations

import random
import time
from collections.abc import Callable

from salesgen.core.dialogue import CUSTOMER, SALESPERSON, Dialogue, LineCheck, Product, Turn
from salesgen.core.rundir import utc_now
from salesgen.generate.moves import Episode, Move, Scenario
from salesgen.generate.voice import Speaker, Voice, VoiceOptions
from salesgen.llm.base import ChatModel

ROLES = (SALESPERSON, CUSTOMER)  # who opens, who answers


class PlannedSimulator:
    def __init__(self, model: ChatModel, scenario: Scenario, opts: VoiceOptions, max_exchanges: int,
                 on_line: Callable[[], None] | None = None, line_check: LineCheck | None = None):
        """`line_check` (the judge panel's per-line rules) adds what the judges would object to in a line."""
        self.model, self.scenario, self.max_exchanges = model, scenario, max_exchanges
        self.line_check = line_check
        self.voice = Voice(model, opts)
        self.band = (opts.min_words, opts.max_words)
        self.on_line = on_line

    def _check(self, episode: Episode, dialogue: Dialogue, move: Move, text: str, earlier: list[str]) -> list[str]:
        problems = episode.check(move, text, earlier)
        if self.line_check is not None:
            problems += [f"{f.rule}: {f.reason}" for f in self.line_check(dialogue.with_line(move.role, text))]
        return problems

    async def run(self, dialogue: Dialogue, alternatives: list[Product], examples: str = "",
                  slots: tuple[int, int] | None = None) -> Dialogue:
        """Play the dialogue out; fills turns, outcome, usage and timing (status is the judge's job). Few-shot
        `examples` are not used: the move and its facts say what to write."""
        seed = f"{dialogue.seed}:{dialogue.index}"
        rng = random.Random(f"{seed}:talk")
        episode = self.scenario.episode(dialogue, alternatives, seed, self.max_exchanges, self.band)
        speakers = {role: Speaker(role, episode.name(role), slots[i] if slots else None,
                                  [{"role": "system", "content": episode.system(role)}])
                    for i, role in enumerate(ROLES)}
        dialogue.started = utc_now()
        t0 = time.perf_counter()
        moves: list[dict] = []
        for i in range(2 * self.max_exchanges):
            role, other = ROLES[i % 2], ROLES[(i + 1) % 2]
            move = episode.next_move(role)
            earlier = [t.text for t in dialogue.turns]
            prompt = episode.prompt(move, earlier[-1] if earlier else None)
            line = await self.voice.say(speakers[role], speakers[other], move, prompt, earlier,
                                        lambda text, m=move, e=earlier: self._check(episode, dialogue, m, text, e), rng,
                                        episode.amounts(move, earlier), episode.figures(move, earlier))
            dialogue.turns.append(Turn(role=role, text=line.text, timestamp=utc_now(), usage=line.usage,
                                       attempts=line.attempts, notes=line.notes))
            dialogue.usage.add(line.usage)
            episode.heard(move, line.text)
            moves.append(move.record())
            if self.on_line is not None:
                self.on_line()
            if move.final:
                break
        dialogue.outcome = episode.outcome()
        in_play = episode.product_in_play()
        if in_play is not None and dialogue.product is not None and in_play.id != dialogue.product.id:
            # The seller recommends what fits what the customer said: the dialogue is about the product it offered.
            dialogue.extra["sampled_product"] = dialogue.product.id
            dialogue.product = in_play
        dialogue.extra["moves"] = moves
        dialogue.extra["policy"] = "planned"
        dialogue.timing["generate"] = round(time.perf_counter() - t0, 3)
        dialogue.finished = utc_now()
        return dialogue
