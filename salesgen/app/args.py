"""What every command line of ours shares: one-line errors with exit code 2, and the 0–1 number type."""
from __future__ import annotations

import argparse

from salesgen.core.errors import InputError


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2, instead of argparse's usage dump
        raise InputError(f"{message[0].upper()}{message[1:]}." if not message.endswith(".") else message)


def unit(x: str) -> float:
    try:
        v = float(x)
    except ValueError:  # argparse would otherwise say "invalid unit value"
        raise argparse.ArgumentTypeError(f"must be a number between 0 and 1, got {x!r}") from None
    if not 0.0 <= v <= 1.0:  # also rejects nan
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {x}")
    return v
