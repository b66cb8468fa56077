"""The one error type of bad usage: the CLI prints it as one line on stderr and exits 2."""

from __future__ import annotations


class UsageError(Exception):
    """Bad usage or bad input: one line on stderr, exit code 2."""


__all__ = ["UsageError"]
