"""What a person sees while a run goes: a progress bar with ETA and live counts, on stderr."""
from __future__ import annotations

import sys
import time
from collections import Counter

from tqdm import tqdm


class Progress:
    """The bar appears at `start()` (once the model answers), so an error before that is the only line on stderr."""

    def __init__(self, total: int, label: str = "dialogues", enabled: bool = True):
        self.counts: Counter[str] = Counter()
        self.total, self.label, self.enabled = total, label, enabled
        self.bar: tqdm | None = None
        self.lines = 0
        self.finished_here = 0  # dialogues finished in this session (a resumed run's earlier ones wrote no lines here)
        self.started: float | None = None

    def start(self) -> None:
        if self.bar is None:
            self.started = time.monotonic()
            self.bar = tqdm(total=self.total, initial=self.counts["kept"], desc=self.label, unit="kept",
                            file=sys.stderr, disable=not self.enabled, dynamic_ncols=True, smoothing=0.1)
            self._postfix()

    def _postfix(self) -> None:
        assert self.bar is not None
        extra = {"lines": self.lines} if self.lines else {}
        eta = self.eta()
        if eta is not None:
            extra["eta"] = f"{eta / 60:.0f} min" if eta < 5400 else f"{eta / 3600:.1f} h"
        self.bar.set_postfix(kept=self.counts["kept"], discarded=self.counts["discarded"],
                             failed=self.counts["failed"], **extra, refresh=True)

    def eta(self, lines_per_dialogue: float = 8.0) -> float | None:
        """Seconds left, from the rate of lines written this session: a planned dialogue is a handful of lines, so
        an estimate stands after the first minute instead of after the first finished dialogues."""
        if self.started is None or self.lines < 3:
            return None
        finished = self.finished_here
        kept_share = self.counts["kept"] / sum(self.counts.values()) if finished else 1.0
        per = self.lines / finished if finished else lines_per_dialogue
        wanted = max(0, self.total - self.counts["kept"]) / max(kept_share, 0.05)
        rate = self.lines / (time.monotonic() - self.started)
        return max(0.0, wanted * per - (self.lines - per * finished)) / rate

    def line(self) -> None:
        """A line of some dialogue was written."""
        self.lines += 1
        if self.bar is not None:
            self._postfix()

    def done(self, status: str) -> None:
        self.counts[status] += 1
        if self.bar is None:  # dialogues finished in an earlier session (resume): counted into `initial`
            return
        self.finished_here += 1
        if status == "kept":
            self.bar.update(1)
        self._postfix()

    def note(self, text: str) -> None:
        self.start()
        assert self.bar is not None
        self.bar.write(text, file=sys.stderr)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
