"""What a person sees while a run goes: a progress bar with ETA and live counts, on stderr."""
from __future__ import annotations

import sys
from collections import Counter

from tqdm import tqdm


class Progress:
    """The bar appears at `start()` (once the model answers), so an error before that is the only line on stderr."""

    def __init__(self, total: int, label: str = "dialogues", enabled: bool = True):
        self.counts: Counter[str] = Counter()
        self.total, self.label, self.enabled = total, label, enabled
        self.bar: tqdm | None = None

    def start(self) -> None:
        if self.bar is None:
            self.bar = tqdm(total=self.total, initial=self.counts["kept"], desc=self.label, unit="kept",
                            file=sys.stderr, disable=not self.enabled, dynamic_ncols=True, smoothing=0.1)
            self._postfix()

    def _postfix(self) -> None:
        assert self.bar is not None
        self.bar.set_postfix(kept=self.counts["kept"], discarded=self.counts["discarded"],
                             failed=self.counts["failed"], refresh=True)

    def done(self, status: str) -> None:
        self.counts[status] += 1
        if self.bar is None:  # dialogues finished in an earlier session (resume): counted into `initial`
            return
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
