"""The exception tree of denen-gis.

Every error a user can cause derives from :class:`DenenError` and from the
built-in exception that best describes it, so callers can catch either.

- :class:`InputError` (``ValueError``): a bad file, column, row or parameter.
- :class:`InfeasibleError` (``RuntimeError``): a target that cannot be met; it
  carries the table of what *can* be reached.
"""

from __future__ import annotations

from typing import Any

__all__ = ["DenenError", "InfeasibleError", "InputError"]


class DenenError(Exception):
    """Base class of every error raised on purpose by denen-gis."""


class InputError(DenenError, ValueError):
    """Bad input: a file, column, row or parameter that cannot be used.

    The message is one line that names the file (or parameter), the column or
    row, and what to do about it.
    """


class InfeasibleError(DenenError, RuntimeError):
    """A target that cannot be met even with every candidate built.

    Parameters
    ----------
    message
        One-line explanation.
    shortfall
        Table (usually a ``pandas.DataFrame``) with one row per group that falls
        short: the target, the best reachable value and the gap.
    best
        Optional best-effort result object (for example the solution that builds
        every affordable candidate).
    """

    def __init__(self, message: str, *, shortfall: Any = None, best: Any = None) -> None:
        super().__init__(message)
        self.shortfall = shortfall
        self.best = best
