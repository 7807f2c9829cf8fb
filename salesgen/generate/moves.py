"""What a planned dialogue is made of, domain-free: a move (a dialogue act with its slots and the brief the voice
writes it from), and the episode a scenario plays out (its policies decide the moves, the voice writes the lines)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from salesgen.core.dialogue import Dialogue, Outcome, Product


class SimulationError(Exception):
    """The model could not produce a usable turn; the dialogue is recorded as failed with this reason."""


class Blemish(str):
    """A problem of a line that the voice leaves out with its sentence where the line stays in the band without it,
    but writes no line again for: written again, the 1.5B model made the same slip about as often (a customer's
    question of its own: 16 rewrites in 16 dialogues, 1.74 generated tokens per kept word against 1.58)."""


@dataclass
class Move:
    """One dialogue act. `slots` is what the move says in public (product, feature, fact, price, reason): the other
    side's policy reads only these. `brief` is what the voice is asked to say, with its facts."""

    role: str
    act: str
    brief: str
    slots: dict[str, Any] = field(default_factory=dict)
    final: bool = False  # the dialogue ends after this line
    # The line opens with one of these, where the rules know the words (an offer's price, the decision); a grammar
    # holds it to them where the server takes one, elsewhere the check asks for what they carry.
    openers: list[str] = field(default_factory=list)
    # The line ends with these words, given by the rules (a question, a decision's goodbye); the voice cuts a line
    # that runs on past them.
    closer: str = ""
    # The rules write the closing words after the model's line instead of asking for them: asked, the model said
    # them in the middle and the band's minimum made it go on past them.
    append_closer: bool = False

    def record(self) -> dict[str, Any]:
        return {"role": self.role, "act": self.act, **{k: v for k, v in self.slots.items() if v is not None}}


class Episode(Protocol):
    """One dialogue of a scenario: both policies, the voice's system prompts, the move checks and the outcome."""

    def name(self, role: str) -> str: ...

    def system(self, role: str) -> str: ...

    def prompt(self, move: Move, heard: str | None) -> str:
        """The request for one line: the brief, and what the other side just said (None for the opening line), or
        what the scenario lets the speaker hear of it."""

    def next_move(self, role: str) -> Move:
        """The speaker's next move, from its own private state and the public moves so far."""

    def check(self, move: Move, text: str, earlier: list[str]) -> list[str]:
        """What the line lacks of its move or says beyond it (each a short reason, a `Blemish` where leaving its
        sentence out will do); [] when it carries the move."""

    def amounts(self, move: Move, earlier: list[str]) -> list[str]:
        """The only amounts of money the line may state, as written (a grammar allows no other)."""

    def figures(self, move: Move, earlier: list[str]) -> list[str]:
        """The only other numbers the line may state, as written (a grammar allows no other)."""

    def heard(self, move: Move, text: str) -> None:
        """Both sides take note of a move as said."""

    def outcome(self) -> Outcome: ...

    def product_in_play(self) -> Product | None: ...


class Scenario(Protocol):
    name: str

    def episode(self, dialogue: Dialogue, alternatives: list[Product], seed: str, max_exchanges: int,
                word_band: tuple[int, int]) -> Episode: ...
