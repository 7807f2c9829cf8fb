"""report.html without a browser: self-contained, every section present, generated text escaped."""
from __future__ import annotations

import re
from pathlib import Path

from salesgen.core.dialogue import KEPT
from salesgen.evaluate import run_evaluation
from salesgen.evaluate.synthetic import dialogue, synthetic_run, write_run
from salesgen.reports import build_report

EVIL = '<img src=x onerror="window.__pwned=1"><script>alert(1)</script>'


def test_report_is_self_contained_and_escapes_everything(tmp_path: Path) -> None:
    dialogues = [dialogue(i, "a") for i in range(6)]
    d = dialogues[0]
    d.status, d.score = KEPT, 0.99
    d.turns[1].text = EVIL
    d.product.name = EVIL
    d.product.category = EVIL  # also a plot label
    d.persona.personality = EVIL + " $x$"  # '$' would be matplotlib mathtext
    d.reasons = [EVIL]
    d.verdicts[0].evidence = [f"turn 2 (customer): {EVIL}"]
    run = write_run(tmp_path / "run", dialogues).path
    html = build_report(run, run_evaluation(run, bertscore=False)).read_text(encoding="utf-8")
    assert EVIL not in html and "<img src=x" not in html and "alert(1)</script>" not in html
    assert html.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 3
    assert len(re.findall(r"<script\b", html)) == 1
    # Nothing external: every image is inline data; no stylesheet links, fonts or remote URLs.
    assert all(src.startswith("data:image/png;base64,") for src in re.findall(r'<img[^>]*src="([^"]+)"', html))
    assert "<link" not in html and "http://" not in html and "https://" not in html
    assert "Content-Security-Policy" in html
    for anchor in ("summary", "rubric", "plots", "yardstick", "discards", "browser"):
        assert f'id="{anchor}"' in html
    assert 'id="variants"' not in html  # one variant: no comparison section
    # The evidence line naming turn 2 is shown under that turn.
    turn2 = html.split("turn 2 · ")[1].split('<div class="turn')[0]
    assert "&lt;img src=x" in turn2 and 'class="evidence"' in turn2


def test_report_has_variant_comparison_and_handles_an_empty_run(tmp_path: Path) -> None:
    run = synthetic_run(tmp_path / "v", 12, ("short", "long"), qualities=(0.7, 0.85)).path
    html = build_report(run, run_evaluation(run, bertscore=False)).read_text(encoding="utf-8")
    assert 'id="variants"' in html and "long − short" in html
    empty = write_run(tmp_path / "empty", []).path
    html = build_report(empty, run_evaluation(empty, bertscore=False)).read_text(encoding="utf-8")
    assert "0</b> dialogues kept" in html and "no finished dialogues" in html
