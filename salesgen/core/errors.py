"""Errors caused by outside input (flags, files, servers): the entry point turns them into one line and exit 2."""


class InputError(Exception):
    """A problem with something the user gave us; the message is one clear sentence."""
