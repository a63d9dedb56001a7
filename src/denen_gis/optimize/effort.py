"""The 5G models' clock: wall-clock seconds, or work units that every machine counts alike.

Every 5G model (max coverage, least cost, fairness, rollout) splits its limit
between phases (the LP bound, roundings, restricted MIPs, swaps) by reading
one clock. By default that clock is the wall clock, so a slower or busier
machine stops each phase at another point and can return another plan.

With a work limit (``work_limit=`` of the models, decorated with
:func:`clocked`), the clock reads the work done so far instead, counted from
the model's size and never from the time:

- PDLP (the LP bound) counts its iterations, each weighted by the number of
  nonzeros of the LP matrix;
- a MIP gets a node limit (SCIP ``limits/totalnodes``, HiGHS
  ``mip_max_nodes``) in proportion to its share of the units and is charged
  that share;
- the local searches count the nonzeros their moves touch.

One unit is about one second of solving on the reference machine (two x86-64
cores, OR-Tools 9.15; ``benchmarks/calibrate_work.py`` measures the rates
below). A work-limited run therefore repeats on any machine with the same
seed, ``workers = 1`` and the same package versions, unless the run's time
limit, kept as a safety ceiling, stops a phase first: the clock records that
(``details["work"]["stopped_by_time_limit"]``) and the run is then as
machine-dependent as a time-limited one.

A work limit is at most :data:`MAX_WORK_LIMIT` units (about 11 days), and every
iteration or node limit derived from it at most :data:`MAX_SOLVER_COUNT`, the
largest the solvers' integer parameters take.
"""

from __future__ import annotations

import functools
import inspect
import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, TypeVar

from denen_gis.optimize._validate import MAX_WORK_LIMIT, check_work_limit

__all__ = [
    "LP_NNZ_ITERATIONS_PER_UNIT",
    "MAX_SOLVER_COUNT",
    "MAX_WORK_LIMIT",
    "MIP_NNZ_NODES_PER_UNIT",
    "SEARCH_NNZ_PER_UNIT",
    "WorkClock",
    "charge",
    "charge_lp_iterations",
    "charge_nnz",
    "clocked",
    "current",
    "lp_iteration_limit",
    "measured",
    "mip_node_limit",
    "now",
    "out_of_time",
    "phase",
    "solver_wall_limit",
    "work_clock",
]

#: PDLP: iterations x LP-matrix nonzeros per unit (one iteration is about two
#: matrix-vector products; measured on the national FY2030 least-cost LP).
LP_NNZ_ITERATIONS_PER_UNIT = 8.0e7
#: MIP: nodes x MIP-matrix nonzeros per unit (SCIP on the restricted national MIPs).
MIP_NNZ_NODES_PER_UNIT = 8.0e5
#: Local search: nonzeros touched per unit (rescoring a move reads the whole matrix).
SEARCH_NNZ_PER_UNIT = 2.5e7

#: Largest iteration or node limit given to a solver: PDLP's ``iteration_limit``
#: and HiGHS's ``mip_max_nodes`` are 32-bit ints (SCIP's ``limits/totalnodes``
#: is 64-bit; the same cap keeps one rule). A larger count would be refused or
#: silently dropped by the solver.
MAX_SOLVER_COUNT = 2**31 - 1

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class WorkClock:
    """Work done so far [units] against a work limit, under a wall-clock safety ceiling.

    Attributes
    ----------
    limit
        The work limit [units].
    wall_limit_s
        The safety ceiling [s] (the run's time limit).
    started_wall
        ``time.perf_counter()`` when the clock started.
    used
        Units charged so far.
    stopped_by_time_limit
        Whether the safety ceiling stopped a phase before its work was done.
    phases
        ``(kind, units, seconds)`` of each measured phase (``"lp"``, ``"mip"``,
        ``"search"``): what ``benchmarks/calibrate_work.py`` compares. The
        seconds vary between machines, so they stay out of :meth:`report`.
    """

    limit: float
    wall_limit_s: float
    started_wall: float
    used: float = 0.0
    stopped_by_time_limit: bool = False
    phases: list[tuple[str, float, float]] = field(default_factory=list)

    def wall_left_s(self) -> float:
        """Seconds left of the safety ceiling (at least 0.01 s)."""
        return max(self.wall_limit_s - (time.perf_counter() - self.started_wall), 0.01)

    def wall_expired(self) -> bool:
        """Whether the safety ceiling has passed (and note that it stopped the run)."""
        if time.perf_counter() - self.started_wall >= self.wall_limit_s:
            self.stopped_by_time_limit = True
        return self.stopped_by_time_limit

    def report(self) -> dict[str, float | bool]:
        """The work part of a model's ``details``: limit, units used, whether time stopped it."""
        return {
            "limit": self.limit,
            "used": round(self.used, 6),
            "stopped_by_time_limit": self.stopped_by_time_limit,
        }


_CLOCK: ContextVar[WorkClock | None] = ContextVar("denen_gis_work_clock", default=None)


def current() -> WorkClock | None:
    """The work clock of the model being solved, or ``None`` when it runs on the wall clock."""
    return _CLOCK.get()


def now() -> float:
    """The model clock's reading: ``time.perf_counter()`` [s] or the units used so far."""
    clock = _CLOCK.get()
    return time.perf_counter() if clock is None else clock.used


def charge(units: float) -> None:
    """Count ``units`` of work done (nothing on the wall clock)."""
    clock = _CLOCK.get()
    if clock is not None:
        clock.used += max(float(units), 0.0)


def charge_nnz(nnz: float) -> None:
    """Count a local-search step that touched ``nnz`` matrix entries."""
    charge(nnz / SEARCH_NNZ_PER_UNIT)


def out_of_time(started: float, limit: float) -> bool:
    """Whether ``limit`` (seconds or units, per the clock) has passed since ``started``.

    On a work clock the safety ceiling ends every phase too.
    """
    clock = _CLOCK.get()
    if clock is None:
        return time.perf_counter() - started >= limit
    return clock.used - started >= limit or clock.wall_expired()


def solver_wall_limit(limit: float) -> float:
    """The wall-clock limit [s] to give a solver whose share of the clock is ``limit``.

    On the wall clock that is ``limit`` itself; on a work clock the solver's
    work limit (iterations or nodes) ends it and the wall limit is what is
    left of the safety ceiling.
    """
    clock = _CLOCK.get()
    return float(limit) if clock is None else clock.wall_left_s()


def lp_iteration_limit(units: float, nnz: int) -> int | None:
    """PDLP's iteration limit for ``units`` of work on an LP with ``nnz`` nonzeros.

    ``None`` on the wall clock (no iteration limit).
    """
    if _CLOCK.get() is None:
        return None
    return _solver_count(units * LP_NNZ_ITERATIONS_PER_UNIT / max(nnz, 1))


def charge_lp_iterations(iterations: int, nnz: int) -> None:
    """Count ``iterations`` PDLP iterations on an LP with ``nnz`` nonzeros."""
    charge(iterations * max(nnz, 1) / LP_NNZ_ITERATIONS_PER_UNIT)


def mip_node_limit(units: float, nnz: int) -> int | None:
    """A MIP's node limit for ``units`` of work on a model with ``nnz`` nonzeros.

    ``None`` on the wall clock (no node limit).
    """
    if _CLOCK.get() is None:
        return None
    return _solver_count(units * MIP_NNZ_NODES_PER_UNIT / max(nnz, 1))


def _solver_count(count: float) -> int:
    """``count`` as a solver's iteration or node limit: 1 to :data:`MAX_SOLVER_COUNT`."""
    return int(min(max(count, 1.0), MAX_SOLVER_COUNT))


@contextmanager
def phase(kind: str) -> Iterator[None]:
    """Record the units charged and the seconds spent inside as one phase of ``kind``."""
    clock = _CLOCK.get()
    if clock is None:
        yield
        return
    units, wall = clock.used, time.perf_counter()
    try:
        yield
    finally:
        clock.phases.append((kind, clock.used - units, time.perf_counter() - wall))


def measured(kind: str) -> Callable[[F], F]:
    """Decorate a function so that each call is one :func:`phase` of ``kind``."""

    def decorate(func: F) -> F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with phase(kind):
                return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


@contextmanager
def work_clock(work_limit: float, *, wall_limit_s: float) -> Iterator[WorkClock]:
    """Run the enclosed model on a work clock of ``work_limit`` units.

    Parameters
    ----------
    work_limit
        Units of work the model may do (about seconds on the reference machine).
    wall_limit_s
        Safety ceiling [s]: a phase still running then stops (and the run is
        marked as stopped by its time limit).
    """
    clock = WorkClock(check_work_limit(work_limit), float(wall_limit_s), time.perf_counter())
    token = _CLOCK.set(clock)
    try:
        yield clock
    finally:
        _CLOCK.reset(token)


def clocked(func: F) -> F:
    """Run a 5G model on a work clock when it is called with ``work_limit``.

    The model's ``time_limit_s`` then becomes the safety ceiling and the limit
    its phases share is ``work_limit`` (see the module docstring).
    """
    signature = inspect.signature(func)

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        work_limit = bound.arguments.get("work_limit")
        if work_limit is None:
            return func(*args, **kwargs)
        wall = bound.arguments.get("time_limit_s")
        wall_s = float(wall) if isinstance(wall, int | float) and not isinstance(wall, bool) else 0
        if not (math.isfinite(wall_s) and wall_s > 0):
            # the model's own check reports the bad time limit
            return func(*args, **kwargs)
        with work_clock(work_limit, wall_limit_s=wall_s):
            return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
