"""Assemble report.html: one self-contained file (inline CSS, base64 plots, one hashed inline script)."""
from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from string import Template
from typing import Any

from salesgen.core.dialogue import Dialogue
from salesgen.reports import plots
from salesgen.reports.browser import browser
from salesgen.reports.html import esc, num, section
from salesgen.reports.summary import discard_table, headline, rubric_table, tiles
from salesgen.reports.tables import bertscore_note, comparison_values, definitions, variants_table, yardstick_table

HERE = Path(__file__).resolve().parent
# The page's only script: a load marker (tests and tools check it). The Content-Security-Policy allows exactly this
# script by hash, so even text that escaped escaping could not run.
SCRIPT = "document.documentElement.dataset.reportReady='1';window.__reportReady=true;"


def _figure(uri: str | None, caption: str) -> str:
    if not uri:
        return f'<p class="note">{esc(caption)}: no data.</p>'
    return f'<figure><img alt="{esc(caption)}" src="{uri}"><figcaption>{esc(caption)}</figcaption></figure>'


def _meta(m: dict[str, Any]) -> str:
    run = m["run"]
    model = run.get("model")
    if isinstance(model, dict):
        model_name = next((model[k] for k in ("model", "name", "alias", "path") if model.get(k)), None)
    else:
        model_name = model
    bits = [f"run <code>{esc(run['path'])}</code>", f"created {esc(run.get('created') or '?')}",
            f"status {esc(run.get('status') or '?')}", f"model {esc(model_name or '?')}",
            f"evaluated {esc(m['evaluated'])} in {num(m.get('seconds'), 1)} s"]
    if len(run.get("variants") or []) > 1:
        bits.append("variants " + ", ".join(esc(v) for v in run["variants"]))
    return " · ".join(bits)


def render(m: dict[str, Any], dialogues: list[Dialogue], run_name: str) -> str:
    r = m["rubric"]
    band = r["format"]["band"]
    sections = [section("summary", "Summary", f'<p class="headline">{headline(m)}</p>{tiles(m)}'),
                section("rubric", "Rubric", rubric_table(m),
                        "The grading rubric: data size, the five quality criteria (judge scores on 0-1, mean over kept "
                        "dialogues with a 95% bootstrap interval), products sold, compute time and discards.")]
    figs = [_figure(plots.score_distributions(r), "Score distributions per criterion (kept vs discarded)"),
            _figure(plots.sales(r["sales"]["by_category"], r["sales"]["by_persona"]),
                    "Sale rate by product category and persona (kept dialogues; labels: sold/total)"),
            _figure(plots.words(m["diversity"]["generated"]["length"], band),
                    f"Words per response of kept dialogues against the {band[0]}-{band[1]} word band"),
            _figure(plots.compute(r["compute"]), "Time and tokens per dialogue (all attempts)"),
            _figure(plots.yardstick(comparison_values(m),
                                    [("distinct_1", "distinct-1"), ("distinct_2", "distinct-2"),
                                     ("distinct_3", "distinct-3"), ("self_bleu_3", "self-BLEU-3 ↓"),
                                     ("bs_sales", "BERTScore F1\nsalesperson"), ("bs_cust", "BERTScore F1\ncustomer")]),
                    "Diversity and BERTScore beside the reference sets (human sets in green)")]
    sections.append(section("plots", "Plots", "".join(figs)))
    sections.append(section("yardstick", "Diversity and closeness to Car Dealer, beside the yardstick",
                            yardstick_table(m) + bertscore_note(m) + definitions(m),
                            "The same metrics on the generated (kept) dialogues and on the bundled reference sets. "
                            "Human sets are the yardstick; LLM-written sets are shown for comparison."))
    if m.get("variants"):
        v = m["variants"]
        sections.append(section("variants", "Prompt variants", variants_table(v),
                                f"Dialogues are paired by index (same persona, product and seed). {esc(v['test'])}. "
                                f"A winner must beat every other variant at α = {v['alpha']}; ↑ higher is better, "
                                f"↓ lower is better. Share metrics are over all attempts, scores over judged "
                                f"dialogues."))
    sections.append(section("discards", "Discards and failures", discard_table(m)))
    sections.append(section("browser", "Dialogue browser", browser(dialogues),
                            "Click a dialogue to open it. Judge evidence that names a turn is shown under that turn; "
                            "the rest is under Verdicts."))
    nav = " ".join(f'<a href="#{a}">{t}</a>' for a, t in (
        ("summary", "Summary"), ("rubric", "Rubric"), ("plots", "Plots"), ("yardstick", "Yardstick"),
        *((("variants", "Variants"),) if m.get("variants") else ()), ("discards", "Discards"),
        ("browser", "Dialogues")))
    digest = base64.b64encode(hashlib.sha256(SCRIPT.encode()).digest()).decode()
    return Template((HERE / "template.html").read_text(encoding="utf-8")).substitute(
        title=esc(f"Sales dialogue run {run_name}"), meta=_meta(m), nav=nav, body="\n".join(sections),
        style=(HERE / "style.css").read_text(encoding="utf-8"), script=SCRIPT, script_hash=f"sha256-{digest}",
        footer="Generated by salesgen (salesgen report RUN_DIR or python run.py report RUN_DIR rebuilds this page "
               "from the run directory). All text from dialogues is shown escaped.")
