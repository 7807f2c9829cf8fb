"""The dialogue browser: best and worst kept dialogues and the discarded ones, each turn with its judge evidence."""
from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence

from salesgen.core.dialogue import DISCARDED, FAILED, KEPT, Dialogue
from salesgen.reports.html import badge, esc, num

SHOW = {"best": 5, "worst": 5, "discarded": 10, "failed": 5}
# Judges write evidence as 'turn 3 (salesperson): "..."' (1-based): such lines sit under that turn.
_TURN_REF = re.compile(r"^\s*turn\s+(\d+)\b", re.I)


def pick(dialogues: Sequence[Dialogue]) -> list[tuple[str, str, list[Dialogue]]]:
    def score(d: Dialogue) -> float:
        return d.score if d.score is not None else -1.0

    kept = sorted((d for d in dialogues if d.status == KEPT), key=score, reverse=True)
    best = kept[: SHOW["best"]]
    worst = [d for d in kept[::-1] if d not in best][: SHOW["worst"]]
    discarded = sorted((d for d in dialogues if d.status == DISCARDED), key=score)[: SHOW["discarded"]]
    failed = [d for d in dialogues if d.status == FAILED][: SHOW["failed"]]
    return [("best", f"Best kept dialogues (top {len(best)} by judge score)", best),
            ("worst", f"Weakest kept dialogues ({len(worst)} lowest scores that still passed)", worst),
            ("discarded", f"Discarded dialogues ({len(discarded)} lowest scores, with reasons)", discarded),
            ("failed", f"Failed dialogues ({len(failed)})", failed)]


def _evidence_by_turn(d: Dialogue) -> tuple[dict[int, list[tuple[str, str]]], list[tuple[str, str]]]:
    per_turn: dict[int, list[tuple[str, str]]] = defaultdict(list)
    general: list[tuple[str, str]] = []
    for v in d.verdicts:
        for line in v.evidence:
            m = _TURN_REF.match(str(line))
            n = int(m.group(1)) - 1 if m else -1
            (per_turn[n] if 0 <= n < len(d.turns) else general).append((v.judge, str(line)))
    return per_turn, general


def _evidence_list(items: list[tuple[str, str]]) -> str:
    if not items:
        return ""
    return '<ul class="evidence">' + "".join(f"<li><b>{esc(j)}</b>: {esc(t)}</li>" for j, t in items) + "</ul>"


def _summary_line(d: Dialogue) -> str:
    o = d.outcome
    outcome = ("sold" + (f" at {num(o.price, 0)}" if o.price is not None else "") if o and o.bought
               else "not sold" if o and o.bought is False else "no decision")
    product = d.product.name if d.product else (d.extra.get("product_name") or "no product")
    return (f"{badge(d.status or 'unknown', d.status)} <b>{num(d.score)}</b> · {esc(d.id)}"
            + (f" · variant {esc(d.variant)}" if d.variant else "")
            + f" · {esc(d.persona.personality)} customer · {esc(product)} · {esc(outcome)}")


def render(d: Dialogue, open_: bool = False) -> str:
    per_turn, general = _evidence_by_turn(d)
    parts = []
    p = d.persona
    facts = [f"persona {esc(p.name or p.id)} ({esc(p.personality)}, budget {num(p.budget, 0)}"
             + (f", wants {esc(', '.join(p.preferred_features))}" if p.preferred_features else "") + ")"]
    if d.product:
        facts.append(f"product {esc(d.product.name)} ({esc(d.product.category)}, list price {num(d.product.price, 0)})")
    if d.timing:
        facts.append("seconds " + ", ".join(f"{esc(k)} {num(v, 1)}" for k, v in d.timing.items()))
    parts.append(f'<p class="note">{"; ".join(facts)}</p>')
    if d.reasons:
        parts.append('<p class="reasons"><b>Why:</b> ' + "; ".join(esc(r) for r in d.reasons) + "</p>")
    if d.verdicts:
        rows = "".join(f"<tr><td>{esc(v.judge)}</td><td class=\"num\">{num(v.score)}</td><td>{esc(v.reason)}"
                       + (" <b>veto</b>" if v.veto else "") + (f" <i>error: {esc(v.error)}</i>" if v.error else "")
                       + "</td></tr>" for v in d.verdicts)
        parts.append(f"<details><summary>Verdicts ({len(d.verdicts)} judges)</summary><table><thead><tr><th>Judge</th>"
                     f"<th class=\"num\">Score</th><th>Reason</th></tr></thead><tbody>{rows}</tbody></table>"
                     f"{_evidence_list(general)}</details>")
    for i, t in enumerate(d.turns):
        words = len(t.text.split())
        parts.append(f'<div class="turn {esc(t.role)}"><div class="who"><b>{esc(t.role)}</b>turn {i + 1} · '
                     f'{words} words</div><div><div class="text">{esc(t.text)}</div>'
                     f"{_evidence_list(per_turn.get(i, []))}</div></div>")
    attr = " open" if open_ else ""
    return (f'<details class="dlg"{attr}><summary>{_summary_line(d)}</summary>'
            f'<div class="dlg-body">{"".join(parts)}</div></details>')


def browser(dialogues: Sequence[Dialogue]) -> str:
    out = []
    for key, title, group in pick(dialogues):
        if not group:
            continue
        # The very best dialogue starts open: a reader sees what a good transcript looks like at once.
        out.append(f'<h3 id="browse-{key}">{esc(title)}</h3>'
                   + "".join(render(d, open_=not out and i == 0) for i, d in enumerate(group)))
    return "".join(out) or '<p class="note">The run has no finished dialogues.</p>'
