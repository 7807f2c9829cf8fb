"""HTML building blocks. Every value from a run passes through `esc`: generated text is untrusted."""
from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from typing import Any


def esc(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def num(value: Any, digits: int = 2, pct: bool = False, dash: str = "–") -> str:
    """A number for a table cell (already safe: only digits and punctuation)."""
    if value is None or isinstance(value, bool) or not isinstance(value, int | float):
        return dash
    if pct:
        return f"{100 * value:.{max(0, digits - 2)}f}%"
    if isinstance(value, int) or (abs(value) >= 1000 and float(value).is_integer()):
        return f"{int(value):,}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.{digits}f}"


def ci(interval: Sequence[float] | None, digits: int = 2, pct: bool = False) -> str:
    if not interval:
        return ""
    return f'<span class="ci">[{num(interval[0], digits, pct)}, {num(interval[1], digits, pct)}]</span>'


def table(head: Sequence[str], rows: Iterable[Sequence[str]], cls: str = "") -> str:
    """Cells must already be HTML (escape text with `esc` first)."""
    th = "".join(f"<th>{h}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return f'<table class="{esc(cls)}"><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>'


def badge(text: str, kind: str = "") -> str:
    return f'<span class="badge {esc(kind)}">{esc(text)}</span>'


def section(anchor: str, title: str, body: str, intro: str = "") -> str:
    intro_html = f'<p class="intro">{intro}</p>' if intro else ""
    return f'<section id="{esc(anchor)}"><h2>{esc(title)}</h2>{intro_html}{body}</section>'
