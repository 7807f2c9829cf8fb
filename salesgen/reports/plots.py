"""The report's figures, drawn with matplotlib (Agg) and embedded as base64 PNG so the page stays one file."""
from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display; must precede pyplot
import matplotlib.pyplot as plt  # noqa: E402

KEPT_C, DISC_C, SALES_C, CUST_C, HUMAN_C = "#2f5fb3", "#c62828", "#2f5fb3", "#b3562f", "#1a7f37"
plt.rcParams.update({"font.size": 9, "axes.spines.top": False, "axes.spines.right": False,
                     "axes.titlesize": 10, "figure.dpi": 100})


def label(text: Any, limit: int = 28) -> str:
    """Axis text from the run: '$' would start matplotlib mathtext, and long persona sentences need clipping."""
    s = str(text).replace("$", r"\$")
    return s if len(s) <= limit else s[: limit - 1] + "…"


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight", dpi=100)
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _bars(ax, edges: Sequence[float], counts: Sequence[int], color: str, name: str, filled: bool = True) -> None:
    widths = [b - a for a, b in zip(edges[:-1], edges[1:], strict=True)]
    if filled:
        ax.bar(edges[:-1], counts, width=widths, align="edge", color=color, alpha=0.75, label=name)
    else:
        ax.bar(edges[:-1], counts, width=widths, align="edge", fill=False, edgecolor=color, linewidth=1.2, label=name)


def score_distributions(rubric: dict[str, Any]) -> str | None:
    panels = [("quality score", rubric["score"])] + [(q["label"], q) for q in rubric["quality"]]
    if not any(sum(p["hist_kept"]["counts"]) + sum(p["hist_discarded"]["counts"]) for _, p in panels):
        return None
    cols = 3
    rows = (len(panels) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(10.5, 2.3 * rows), squeeze=False)
    for ax, (title, p) in zip(axes.flat, panels, strict=False):
        _bars(ax, p["hist_kept"]["edges"], p["hist_kept"]["counts"], KEPT_C, "kept")
        _bars(ax, p["hist_discarded"]["edges"], p["hist_discarded"]["counts"], DISC_C, "discarded", filled=False)
        ax.set_title(label(title, 44))
        ax.set_xlim(0, 1)
    for ax in list(axes.flat)[len(panels):]:
        ax.axis("off")
    axes.flat[0].legend(frameon=False, fontsize=8)
    fig.supxlabel("score (0-1)", fontsize=9)
    fig.supylabel("dialogues", fontsize=9)
    fig.tight_layout()
    return _png(fig)


def sales(by_category: dict[str, Any], by_persona: dict[str, Any]) -> str | None:
    if not by_category and not by_persona:
        return None
    fig, axes = plt.subplots(1, 2, figsize=(10.5, 0.35 * max(len(by_category), len(by_persona), 3) + 1.2))
    for ax, (title, groups) in zip(axes, (("sale rate by product category", by_category),
                                          ("sale rate by persona", by_persona)), strict=True):
        names = list(groups)[::-1]
        rates = [groups[n]["rate"] for n in names]
        ax.barh([label(n) for n in names], rates, color=KEPT_C, alpha=0.8)
        for y, n in enumerate(names):
            ax.text(min(groups[n]["rate"], 1) + 0.01, y, f"{groups[n]['sold']}/{groups[n]['n']}", va="center",
                    fontsize=8)
        ax.set_xlim(0, 1.15)
        ax.set_title(title)
        ax.set_xlabel("share of kept dialogues that sold")
    fig.tight_layout()
    return _png(fig)


def words(length: dict[str, Any], band: Sequence[int]) -> str | None:
    roles = [(r, c) for r, c in (("salesperson", SALES_C), ("customer", CUST_C)) if length.get(r, {}).get("n")]
    if not roles:
        return None
    fig, ax = plt.subplots(figsize=(10.5, 2.8))
    ax.axvspan(band[0], band[1] + 1, color="#1a7f37", alpha=0.12, label=f"target {band[0]}-{band[1]} words")
    width = 5 / (len(roles) + 0.5)
    for k, (role, color) in enumerate(roles):
        h = length[role]["hist"]
        ax.bar([e + k * width for e in h["edges"]], h["counts"], width=width, align="edge", color=color, alpha=0.8,
               label=f"{role} (mean {length[role]['mean']:.0f}, {100 * length[role]['in_band']:.0f}% in band)")
    top = length[roles[0][0]]["hist"]["edges"][-1]
    ax.set_xlim(0, top + 5)
    ax.set_xlabel(f"words per response (last bar: {top} or more)")
    ax.set_ylabel("responses")
    ax.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    return _png(fig)


def compute(compute_metrics: dict[str, Any]) -> str | None:
    hs, ht = compute_metrics.get("hist_seconds"), compute_metrics.get("hist_tokens")
    if not hs and not ht:
        return None
    fig, axes = plt.subplots(1, 2, figsize=(10.5, 2.6))
    for ax, h, stat, name in ((axes[0], hs, compute_metrics["total"], "seconds per dialogue (generate + judge)"),
                              (axes[1], ht, compute_metrics["tokens"], "tokens per dialogue (prompt + completion)")):
        if not h:
            ax.axis("off")
            continue
        _bars(ax, h["edges"], h["counts"], KEPT_C, name)
        if stat.get("mean") is not None:
            ax.axvline(stat["mean"], color="#333", linestyle="--", linewidth=1)
            ax.text(stat["mean"], max(h["counts"]) * 0.95, f" mean {stat['mean']:,.0f}", fontsize=8)
        ax.set_xlabel(name)
        ax.set_ylabel("dialogues (all attempts)")
    fig.tight_layout()
    return _png(fig)


def yardstick(rows: Sequence[tuple[str, str, dict[str, float | None]]],
              metrics: Sequence[tuple[str, str]]) -> str | None:
    """Grouped bars: one group per metric, one bar per data set (generated first, human sets in green tones)."""
    if not rows:
        return None
    fig, ax = plt.subplots(figsize=(10.5, 3.6))
    n = len(rows)
    width = 0.8 / n
    palette = [KEPT_C, "#6b8fd6", HUMAN_C, "#5fb37a", "#8a8a8a", "#b0b0b0", "#c9a227", "#7b4fa0"]
    human = iter(["#1a7f37", "#5fb37a", "#95cfa6"])
    other = iter(["#8a8a8a", "#b0b0b0", "#c9a227", "#7b4fa0"])
    for k, (name, kind, values) in enumerate(rows):
        color = palette[k] if kind == "generated" else next(human, "#95cfa6") if kind == "human" else next(other,
                                                                                                             "#ccc")
        xs = [i + (k - (n - 1) / 2) * width for i in range(len(metrics))]
        ys = [values.get(m) if values.get(m) is not None else 0 for m, _ in metrics]
        ax.bar(xs, ys, width=width, color=color, label=label(f"{name} ({kind})", 48))
        for x, (m, _) in zip(xs, metrics, strict=True):
            if values.get(m) is None:
                ax.text(x, 0.01, "n/a", rotation=90, fontsize=7, ha="center", va="bottom", color="#777")
    ax.set_xticks(range(len(metrics)), [t for _, t in metrics])
    ax.set_ylim(min(0.0, *(v for _, _, vals in rows for v in vals.values() if v is not None)), 1)
    ax.axhline(0, color="#999", linewidth=0.6)
    ax.legend(frameon=False, fontsize=8, ncol=3, loc="upper center", bbox_to_anchor=(0.5, -0.16))
    fig.tight_layout()
    return _png(fig)
