"""Tables of the diversity/BERTScore comparison with the yardstick, and of the variant comparison."""
from __future__ import annotations

from typing import Any

from salesgen.reports.html import badge, ci, esc, num, table
from salesgen.reports.summary import bs_f1

DIVERSITY_ROWS = [
    ("distinct_1", "distinct-1 (corpus, fixed sample)"),
    ("distinct_2", "distinct-2 (corpus, fixed sample)"),
    ("distinct_3", "distinct-3 (corpus, fixed sample)"),
    ("dialogue_distinct_2", "distinct-2 per dialogue"),
    ("self_bleu_3", "self-BLEU-3 (lower = more diverse)"),
    ("vocabulary", "vocabulary (whole set)"),
    ("vocabulary_sample", "vocabulary (fixed sample)"),
]


def columns(m: dict[str, Any]) -> list[tuple[str, str, dict[str, Any], dict[str, Any] | None]]:
    """(title, kind, diversity, bertscore) per data set: the generated data (and each variant), then the yardstick."""
    bs = m.get("bertscore") or {}
    cols = [("generated (kept)", "generated", m["diversity"]["generated"], bs.get("generated"))]
    for v, d in (m["diversity"].get("by_variant") or {}).items():
        cols.append((f"variant {v}", "generated", d, (bs.get("by_variant") or {}).get(v)))
    for y in (m.get("yardstick") or {}).values():
        cols.append((y["label"], y["kind"], y["diversity"], y.get("bertscore")))
    return cols


def comparison_values(m: dict[str, Any]) -> list[tuple[str, str, dict[str, float | None]]]:
    """Per data set the figures the yardstick plot draws."""
    out = []
    for title, kind, d, b in columns(m):
        out.append((title, kind, {"distinct_1": d.get("distinct_1"), "distinct_2": d.get("distinct_2"),
                                  "distinct_3": d.get("distinct_3"), "self_bleu_3": d.get("self_bleu_3"),
                                  "bs_sales": bs_f1(b, "salesperson"), "bs_cust": bs_f1(b, "customer")}))
    return out


def _bs_cell(b: dict[str, Any] | None, role: str, part: str = "F") -> str:
    r = (b or {}).get(role) or {}
    if not r.get("n"):
        return "–"
    vals = r.get("rescaled") or r["raw"]
    text = num(vals[part], 3)
    if part == "F":
        text += " " + ci(vals.get("F_ci"), 3)
    return text


def yardstick_table(m: dict[str, Any]) -> str:
    cols = columns(m)
    head = ["Metric"] + [f"{esc(t)}<br>{badge(k, k)}" for t, k, _, _ in cols]
    rows = [["dialogues"] + [num(d.get("dialogues")) for _, _, d, _ in cols],
            ["tokens"] + [num(d.get("tokens")) for _, _, d, _ in cols]]
    for key, title in DIVERSITY_ROWS:
        digits = 0 if key.startswith("vocabulary") else 3
        rows.append([esc(title)] + [num(d.get(key), digits) for _, _, d, _ in cols])
    rows.append(["words per response (mean)"] + [num((d.get("length") or {}).get("all", {}).get("mean"), 1)
                                                 for _, _, d, _ in cols])
    bs = m.get("bertscore") or {}
    if "hash" in bs:
        scale = "rescaled" if bs.get("hash_rescaled") else "raw"
        for role in ("salesperson", "customer"):
            for part, name in (("P", "precision"), ("R", "recall"), ("F", "F1")):
                rows.append([f"BERTScore {name}, {role} ({scale})"] + [_bs_cell(b, role, part) for _, _, _, b in cols])
    return table(head, rows, "yardstick")


def bertscore_note(m: dict[str, Any]) -> str:
    bs = m.get("bertscore") or {}
    if "hash" not in bs:
        return f'<p class="note">BERTScore was not computed: {esc(bs.get("skipped"))}.</p>'
    ref = bs["reference"]
    lines = [f"Reference: {esc(ref['label'])} ({ref['dialogues']} dialogues, <code>{esc(ref['path'])}</code>). "
             f"Encoder {esc(bs['model'])}, layer {bs['layer']}, idf {'on' if bs['idf'] else 'off'}, "
             f"{esc(bs['library'])}."]
    lines.append(f"Hash: <code>{esc(bs['hash'])}</code>")
    if bs.get("hash_rescaled"):
        lines.append(f"Rescaled hash: <code>{esc(bs['hash_rescaled'])}</code> (baseline "
                     f"<code>{esc(bs['baseline'])}</code>: mean scores of unrelated reference pairs map to 0).")
    n = (bs.get("generated") or {}).get("dialogues")
    lines.append(f"Each candidate is one role's turns of a dialogue, scored against the same role in every reference "
                 f"dialogue; it keeps the best-F1 reference. Generated: a seeded sample of {num(n)} kept dialogues; "
                 f"a reference set scored against itself leaves each dialogue out of its own references.")
    return '<p class="note">' + "<br>".join(lines) + "</p>"


def definitions(m: dict[str, Any]) -> str:
    d = m["diversity"]
    items = [("Tokenizer", d["tokenizer"])] + [(k.replace("_", " "), v) for k, v in d["definitions"].items()]
    return '<dl class="defs">' + "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in items) + "</dl>"


def variants_table(v: dict[str, Any]) -> str:
    names = v["variants"]
    head = ["Metric"] + [f"{esc(n)} (mean, 95% CI)" for n in names]
    pairs = [(c["a"], c["b"]) for c in v["metrics"][0]["comparisons"]]
    head += [f"{esc(b)} − {esc(a)} (95% CI)" for a, b in pairs] + ["p (Holm)", "Winner"]
    rows = []
    for res in v["metrics"]:
        pct = res["unit"] == "share"
        digits = 0 if res["unit"] in ("tokens",) else 2 if res["unit"] != "s" else 1
        cells = [esc(res["label"]) + (" ↑" if res["higher_is_better"] else " ↓")]
        for n in names:
            pv = res["per_variant"][n]
            cells.append(f"{num(pv['mean'], digits + 1, pct)} {ci(pv['ci'], digits + 1, pct)}"
                         f'<br><span class="note">n={pv["n"]}</span>')
        for c in res["comparisons"]:
            cells.append(f"{num(c['diff'], digits + 1, pct)} {ci(c['ci'], digits + 1, pct)}"
                         f'<br><span class="note">{c["n"]} pairs</span>')
        cells.append("<br>".join(("<b>" if c["significant"] else "") + num(c["p_holm"], 4)
                                 + ("</b>" if c["significant"] else "") for c in res["comparisons"]))
        cells.append(badge(res["winner"], "win") if res["winner"] else '<span class="note">no significant '
                                                                        "difference</span>")
        rows.append(cells)
    return table(head, rows, "variants")
