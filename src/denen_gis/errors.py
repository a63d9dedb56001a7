"""The exception tree of denen-gis.

Every error a user can cause derives from :class:`DenenError` and from the
built-in exception that best describes it, so callers can catch either.

- :class:`InputError` (``ValueError``): a bad file, column, row or parameter.
- :class:`InfeasibleError` (``RuntimeError``): a target that cannot be met; it
  carries the table of what *can* be reached.
"""

from __future__ import annotations

from typing import Any

__all__ = ["MAX_REASON", "DenenError", "InfeasibleError", "InputError", "short_reason"]


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


#: Longest reason :func:`short_reason` keeps [characters] (GDAL may give kB of SQL).
MAX_REASON = 200


def short_reason(text: str) -> str:
    """A reason for a one-line message: the first line, long groups cut, to the first sentence end.

    GDAL puts the whole SQL statement into a message (``sqlite3_exec(INSERT ...
    kB ...) failed: database or disk is full``); that becomes
    ``sqlite3_exec(...) failed: database or disk is full``, at most
    :data:`MAX_REASON` characters.

    Examples
    --------
    >>> short_reason("sqlite3_exec(INSERT INTO t VALUES (" + "?, " * 40 + "?)) failed: no space")
    'sqlite3_exec(...) failed: no space'
    """
    lines = text.strip().splitlines()
    line = " ".join(lines[0].split()) if lines else ""
    kept: list[str] = []
    depth, start = 0, 0
    for i, ch in enumerate(line):
        if ch == "(":
            if depth == 0:
                start = i
            depth += 1
        elif ch == ")" and depth > 0:
            depth -= 1
            if depth == 0:
                group = line[start : i + 1]
                kept.append(group if len(group) <= 60 else "(...)")
        elif depth == 0:
            kept.append(ch)
    if depth > 0:  # an unclosed group: keep what it held, the cap below applies
        kept.append(line[start:])
    first = "".join(kept)
    end = first.find(". ")
    if end >= 0:
        first = first[:end]
    return first if len(first) <= MAX_REASON else first[: MAX_REASON - 3].rstrip() + "..."
