"""The ten-second summary (a headline sentence and tiles) and the rubric table."""
from __future__ import annotations

from typing import Any

from salesgen.reports.html import ci, esc, num, table


def _human_mean(metrics: dict[str, Any], get) -> float | None:
    vals = [get(v) for v in (metrics.get("yardstick") or {}).values() if v.get("kind") == "human"]
    vals = [v for v in vals if v is not None]
    return sum(vals) / len(vals) if vals else None


def bs_f1(entry: dict[str, Any] | None, role: str = "salesperson") -> float | None:
    """Rescaled F1 when a baseline exists, else raw: the figure the report shows everywhere."""
    r = (entry or {}).get(role) or {}
    if not r.get("n"):
        return None
    return (r.get("rescaled") or r["raw"])["F"]


def headline(m: dict[str, Any]) -> str:
    r = m["rubric"]
    c, size = r["counts"], r["data_size"]
    parts = [f"<b>{num(c['kept'])}</b> dialogues kept of {num(c['attempts'])} attempts "
             + (f"(minimum {size['minimum']} met, {size['bonus_steps']} bonus step"
                f"{'' if size['bonus_steps'] == 1 else 's'})." if size["meets_minimum"]
                else f"(<span class=\"no\">{size['short_by']} short of the minimum {size['minimum']}</span>).")]
    if r["sales"]["rate"] is not None:
        parts.append(f"{num(r['sales']['rate'], 2, pct=True)} ended in a sale.")
    q = [x for x in r["quality"] if x["kept"]["mean"] is not None]
    if r["score"]["kept"]["mean"] is not None:
        s = f"Mean judge score {num(r['score']['kept']['mean'])}"
        if q:
            weakest = min(q, key=lambda x: x["kept"]["mean"])
            s += f"; weakest criterion: {esc(weakest['label'].lower())} ({num(weakest['kept']['mean'])})"
        parts.append(s + ".")
    comp = r["compute"]
    # Wall clock when the manifest has it: per-dialogue seconds overlap when dialogues run concurrently.
    per_kept = comp.get("wall_per_kept") or comp["seconds_per_kept"]
    if per_kept is not None:
        parts.append(f"Each kept dialogue cost {num(per_kept, 1)} s"
                     + (f" and {num(comp['tokens_per_kept'], 0)} tokens" if comp["tokens_per_kept"] else "")
                     + " (discarded attempts included).")
    gen_d2 = (m["diversity"]["generated"] or {}).get("distinct_2")
    hum_d2 = _human_mean(m, lambda v: v["diversity"].get("distinct_2"))
    if gen_d2 is not None and hum_d2 is not None:
        word = "less" if gen_d2 < hum_d2 else "more"
        parts.append(f"Lexically {word} diverse than the human reference sets (distinct-2 {num(gen_d2)} vs "
                     f"{num(hum_d2)}).")
    bs = m.get("bertscore") or {}
    gen_f = bs_f1(bs.get("generated"))
    hum_f = _human_mean(m, lambda v: bs_f1(v.get("bertscore")))
    if gen_f is not None and hum_f is not None:
        word = "closer to" if gen_f > hum_f else "further from"
        parts.append(f"Salesperson turns are {word} the Car Dealer reference than human sellers' are "
                     f"(BERTScore F1 {num(gen_f)} vs {num(hum_f)}).")
    return " ".join(parts)


def _tile(title: str, value: str, sub: str, state: str = "neutral") -> str:
    return (f'<div class="tile {state}"><div class="label">{esc(title)}</div><div class="value">{value}</div>'
            f'<div class="sub">{sub}</div></div>')


def tiles(m: dict[str, Any]) -> str:
    r = m["rubric"]
    size, sales, comp, disc = r["data_size"], r["sales"], r["compute"], r["discards"]
    out = [_tile("Kept dialogues", num(size["kept"]),
                 f"minimum {size['minimum']}; +{size['bonus_steps']} bonus step(s) of {size['bonus_step']}",
                 "good" if size["meets_minimum"] else "bad"),
           _tile("Mean judge score", num(r["score"]["kept"]["mean"]), "kept dialogues " + ci(r["score"]["kept"].get(
               "ci"))),
           _tile("Products sold", num(sales["sold"]), f"{num(sales['rate'], 2, pct=True)} of kept dialogues"),
           _tile("Discard rate", num(disc["rate"], 2, pct=True),
                 f"{r['counts']['discarded']} discarded, {r['counts']['failed']} failed"),
           _tile("Seconds per kept dialogue", num(comp.get("wall_per_kept") or comp["seconds_per_kept"], 1),
                 f"mean per attempt: generate {num(comp['generate']['mean'], 1)} s, judge "
                 f"{num(comp['judge']['mean'], 1)} s"),
           _tile("Tokens per dialogue", num(comp["tokens"]["mean"], 0),
                 f"{num(comp['tokens_per_kept'], 0)} per kept dialogue")]
    d2 = (m["diversity"]["generated"] or {}).get("distinct_2")
    hum = _human_mean(m, lambda v: v["diversity"].get("distinct_2"))
    short = "" if (m["diversity"]["generated"] or {}).get("sample_ok") else "kept dialogues hold too few tokens; "
    out.append(_tile("Distinct-2", num(d2), f"{short}human reference sets: {num(hum)}"))
    bs = m.get("bertscore") or {}
    out.append(_tile("BERTScore F1 (salesperson)", num(bs_f1(bs.get("generated"))),
                     "vs Car Dealer; human sellers: " + num(_human_mean(m, lambda v: bs_f1(v.get("bertscore"))))
                     if "hash" in bs else esc(f"not computed: {bs.get('skipped')}")))
    return '<div class="tiles">' + "".join(out) + "</div>"


def _ok(flag: bool | None) -> str:
    return "" if flag is None else ('<span class="ok">✔</span>' if flag else '<span class="no">✘</span>')


def rubric_table(m: dict[str, Any]) -> str:
    r = m["rubric"]
    size, fmt, sales, comp, disc = r["data_size"], r["format"], r["sales"], r["compute"], r["discards"]
    rows = [
        ["Data size", f"{num(size['kept'])} kept dialogues", f"minimum {size['minimum']}", _ok(size["meets_minimum"])],
        ["Bonus for size", f"{size['bonus_steps']} step(s)", f"one per {size['bonus_step']} dialogues over the minimum",
         ""],
        ["Response length", f"{num(fmt['responses_in_band'], 2, pct=True)} of responses",
         f"{fmt['band'][0]}-{fmt['band'][1]} words each", ""],
        ["Exchanges", f"{num(fmt['within_max_exchanges'], 2, pct=True)} of dialogues (mean "
                      f"{num(fmt['exchanges_mean'], 1)})", f"up to {fmt['max_exchanges']} exchanges", ""],
    ]
    for g in r.get("gates", []):  # older metrics.json files have no gates
        rows.append([f"Gate: {esc(g['name'])}", f"{num(g['failed'])} of {num(g['judged'])} failed",
                     f'<span class="note">{esc(g["example"] or "")}</span>', _ok(g["failed"] == 0)])
    for q in r["quality"]:
        present = [f"{esc(k)} ({num(v['mean'])})" for k, v in q["sources"].items() if v["n"]]
        missing = [esc(k) for k, v in q["sources"].items() if not v["n"]]
        note = "from " + (", ".join(present) if present else "no judge verdicts")
        if missing:
            note += f"; not in this run: {', '.join(missing)}"
        rows.append([esc(q["label"]), f"{num(q['kept']['mean'])} {ci(q['kept'].get('ci'))}",
                     f'<span class="note">{note}</span>', ""])
    rows += [
        ["Products sold", f"{num(sales['sold'])} ({num(sales['rate'], 2, pct=True)})",
         f"{sales['no_decision']} kept dialogue(s) without a decision", ""],
        ["Compute time per dialogue", f"generate {num(comp['generate']['mean'], 1)} s, judge "
                                      f"{num(comp['judge']['mean'], 1)} s, total {num(comp['total']['mean'], 1)} s",
         f"{num(comp['seconds_per_kept'], 1)} s per kept dialogue"
         + (f"; wall clock {num(comp['wall_seconds'], 0)} s ({esc(comp.get('wall_key'))} in the manifest)"
            if comp.get("wall_seconds") else ""), ""],
        ["Tokens per dialogue", f"{num(comp['tokens']['mean'], 0)} (prompt {num(comp['prompt_tokens']['mean'], 0)}, "
                                f"completion {num(comp['completion_tokens']['mean'], 0)})",
         f"cached prompt tokens {num(comp['cached_tokens']['mean'], 0)}", ""],
        ["Discard rate", f"{num(disc['rate'], 2, pct=True)} discarded, {num(disc['failed_rate'], 2, pct=True)} failed",
         "; ".join(f"{esc(x['reason'])} ({x['count']})" for x in disc["reasons"][:4]) or "none", ""],
    ]
    return table(["Rubric item", "Result", "Target / detail", ""], rows, "rubric")


def discard_table(m: dict[str, Any]) -> str:
    reasons = m["rubric"]["discards"]["reasons"]
    if not reasons:
        return '<p class="note">No dialogue was discarded or failed.</p>'
    return table(["Reason", "Dialogues", "Example"],
                 [[esc(x["reason"]), num(x["count"]), f'<span class="note">{esc(x["example"])}</span>']
                  for x in reasons])
