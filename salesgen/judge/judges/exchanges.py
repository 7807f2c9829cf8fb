"""Exchange count and turn order: salesperson opens, the sides alternate, at most --max-exchanges exchanges."""
from __future__ import annotations

from salesgen.core.dialogue import SALESPERSON, Dialogue, Verdict
from salesgen.judge.base import Judge, gate, register, verdict
from salesgen.judge.text import where


@register
class ExchangeCount(Judge):
    name = "exchange_count"

    def judge(self, dialogue: Dialogue) -> Verdict | None:
        turns = dialogue.turns
        if not turns:
            return verdict(self.name, 0.0, "the dialogue has no turns", gates=[gate("exchanges", ["no turns"])])
        n = len(dialogue.exchanges())
        cap = self.ctx.options.max_exchanges
        floor = self.param("min_exchanges", 2)
        score, problems, evidence = 1.0, [], []
        if cap is not None and n > cap:
            score -= min(1.0, 0.25 * (n - cap))
            problems.append(f"{n} exchanges, over the maximum of {cap}")
            extra = next(t for t in dialogue.exchanges()[cap] if t is not None)
            first = next(i for i, t in enumerate(turns) if t is extra)
            evidence.append(f"{where(first, turns[first])} begins exchange {cap + 1}, over the maximum of {cap}")
        if n < floor:
            # One exchange cannot hold discovery, a pitch and a decision.
            score -= 0.5
            problems.append(f"only {n} exchange(s), fewer than {floor}")
        if turns[0].role != SALESPERSON:
            score -= 0.2
            problems.append("the customer speaks first")
            evidence.append(f"{where(0, turns[0])} opens the dialogue")
        repeats = [i for i in range(1, len(turns)) if turns[i].role == turns[i - 1].role]
        if repeats:
            score -= min(0.5, 0.2 * len(repeats))
            problems.append(f"{len(repeats)} time(s) the same side speaks twice in a row")
            evidence += [f"{where(i, turns[i])} follows another {turns[i].role} turn" for i in repeats]
        reason = "; ".join(problems) or f"{n} exchanges, salesperson first, sides alternate"
        return verdict(self.name, score, reason, evidence, [gate("exchanges", problems and (evidence or problems))],
                       exchanges=n, turns=len(turns))
