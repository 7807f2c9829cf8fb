"""What a person sees while a run goes: a progress bar with ETA and live counts, on stderr."""
from __future__ import annotations

import sys
from collections import Counter

from tqdm import tqdm


class Progress:
    def __init__(self, total: int, label: str = "dialogues", enabled: bool = True):
        self.counts: Counter[str] = Counter()
        self.bar = tqdm(total=total, desc=label, unit="kept", file=sys.stderr, disable=not enabled,
                        dynamic_ncols=True, smoothing=0.1)

    def done(self, status: str) -> None:
        self.counts[status] += 1
        if status == "kept":
            self.bar.update(1)
        self.bar.set_postfix(kept=self.counts["kept"], discarded=self.counts["discarded"],
                             failed=self.counts["failed"], refresh=True)

    def note(self, text: str) -> None:
        self.bar.write(text, file=sys.stderr)

    def close(self) -> None:
        self.bar.close()
