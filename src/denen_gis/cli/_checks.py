"""Checks of numeric command-line options, run before any loading (exit 2, one line).

Each check names the option as the user typed it (``--time-limit``), so a
command refuses a negative, zero, NaN or infinite value where it makes no
sense at once, instead of an internal parameter name after minutes of loading.
"""

from __future__ import annotations

import math

from denen_gis.errors import InputError
from denen_gis.scenario_checks import MAX_MYEN, MAX_RURAL_WEIGHT, MAX_WORK_LIMIT, MAX_WORKERS

__all__ = [
    "MAX_SEED",
    "check_amount",
    "check_positive",
    "check_share",
    "check_solver_options",
    "check_work_limit",
    "option_error",
]

#: Largest solver seed (CP-SAT and HiGHS take a 32-bit signed seed).
MAX_SEED = 2**31 - 1


def option_error(option: str, value: object, need: str) -> InputError:
    """``OPTION must be NEED, got VALUE`` (a very long value shortened)."""
    shown = str(value)
    if len(shown) > 20:  # a 400-digit number is not worth echoing whole
        shown = f"{shown[:12]}... ({len(shown)} characters)"
    return InputError(f"{option} must be {need}, got {shown}")


def check_positive(option: str, value: float | None, *, unit: str = "") -> None:
    """Refuse a value that is not a finite number > 0 (``None``: not given)."""
    if value is not None and not (math.isfinite(value) and value > 0):
        raise option_error(option, value, f"a finite number > 0{unit}")


def check_work_limit(value: float | None) -> None:
    """Refuse a ``--work-limit`` that is not finite, > 0 and at most ``MAX_WORK_LIMIT``."""
    if value is not None and not (math.isfinite(value) and 0 < value <= MAX_WORK_LIMIT):
        raise option_error(
            "--work-limit", value, f"a finite number > 0 and at most {MAX_WORK_LIMIT:g} work units"
        )


def check_amount(
    option: str, value: float | None, *, most: float = MAX_MYEN, why: str = ""
) -> None:
    """Refuse a money amount that is not finite, >= 0 and below ``most`` [million yen].

    ``why`` follows the cap in the message (where the cap comes from).
    """
    if value is not None and not (math.isfinite(value) and 0 <= value < most):
        need = f"a finite amount >= 0 and below {most:g} million yen{why}"
        raise option_error(option, value, need)


def check_share(option: str, value: float | None) -> None:
    """Refuse a share outside 0..1 (NaN included)."""
    if value is not None and not 0 <= value <= 1:
        raise option_error(option, value, "a share between 0 and 1 (0.97 = 97%)")


def check_solver_options(
    *,
    time_limit: float | None = None,
    workers: int | None = None,
    seed: int | None = None,
    rural_weight: float | None = None,
) -> None:
    """Refuse solver options out of range: time limit, threads, seed, rural weight.

    Raises
    ------
    InputError
        One line naming the option (``--time-limit``, ``--workers``, ``--seed``,
        ``--rural-weight``) and the range it needs.
    """
    check_positive("--time-limit", time_limit, unit=" [s]")
    if workers is not None and not 1 <= workers <= MAX_WORKERS:
        raise option_error("--workers", workers, f"between 1 and {MAX_WORKERS} threads")
    if seed is not None and not 0 <= seed <= MAX_SEED:
        raise option_error("--seed", seed, "a whole number between 0 and 2**31 - 1")
    if rural_weight is not None and not 0 < rural_weight <= MAX_RURAL_WEIGHT:
        raise option_error("--rural-weight", rural_weight, f"> 0 and at most {MAX_RURAL_WEIGHT:g}")
