"""The work clock: a work-limited 5G solve never reads the wall clock for a decision."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from denen_gis.errors import InputError
from denen_gis.optimize import (
    Targets,
    effort,
    solve_max_coverage,
    solve_max_min_fairness,
    solve_min_cost,
    solve_rollout,
)


def _instance(seed: int = 1, n_cells: int = 1500, n_sites: int = 160) -> dict:
    """Random covering instance: each site covers a cluster of nearby cells."""
    rng = np.random.default_rng(seed)
    xy = rng.random((n_cells, 2))
    sites = rng.random((n_sites, 2))
    d2 = ((xy[:, None, :] - sites[None, :, :]) ** 2).sum(axis=2)
    cover = d2 < rng.uniform(0.002, 0.01, n_sites)[None, :]
    pop = np.round(rng.lognormal(5, 1.2, n_cells))
    return {
        "coverage": sp.csr_matrix(cover),
        "population": pop,
        "costs_myen": rng.uniform(5, 15, n_sites).round(1),
        "groups": np.array(["01", "02", "03"])[(xy[:, 0] * 3).astype(int)],
        "budget_myen": 200.0,
    }


class _SlowClock:
    """A ``time`` stand-in whose ``perf_counter`` moves ``step`` seconds per reading.

    Every reading of the wall clock looks like a long pause: what a very slow or
    very busy machine shows a time-limited solve.
    """

    def __init__(self, step: float) -> None:
        self.now, self.step = 0.0, step

    def perf_counter(self) -> float:
        self.now += self.step
        return self.now


def _solve(monkeypatch, model, slow: float | None, **kwargs):
    if slow is not None:
        monkeypatch.setattr(effort, "time", _SlowClock(slow))
    try:
        return model(**kwargs)
    finally:
        monkeypatch.undo()


def _models(inst: dict) -> dict:
    common = {
        "coverage": inst["coverage"],
        "population": inst["population"],
        "costs_myen": inst["costs_myen"],
        "groups": inst["groups"],
    }
    budget = inst["budget_myen"]
    return {
        "max coverage": (solve_max_coverage, {**common, "budget_myen": budget}),
        "least cost": (solve_min_cost, {**common, "targets": Targets(national=0.6)}),
        "fairness": (solve_max_min_fairness, {**common, "budget_myen": budget}),
        "rollout": (
            solve_rollout,
            {**common, "yearly_budgets_myen": {2026: budget / 2, 2027: budget / 2}},
        ),
    }


@pytest.mark.parametrize("name", ["max coverage", "least cost", "fairness", "rollout"])
def test_a_slow_clock_does_not_change_a_work_limited_plan(monkeypatch, name):
    model, kwargs = _models(_instance())[name]
    kwargs = {**kwargs, "time_limit_s": 1e9, "work_limit": 0.5, "seed": 2}
    normal = _solve(monkeypatch, model, None, **kwargs)
    slow = _solve(monkeypatch, model, 5.0, **kwargs)
    assert slow.chosen.tolist() == normal.chosen.tolist()
    assert slow.objective == normal.objective
    assert slow.best_bound == normal.best_bound
    assert slow.details["work"] == normal.details["work"]
    assert normal.details["work"]["limit"] == 0.5
    assert 0 < normal.details["work"]["used"] <= 0.5 + 1e-9
    assert normal.details["work"]["stopped_by_time_limit"] is False


def test_the_same_slow_clock_changes_a_time_limited_plan(monkeypatch):
    # the contrast: on the wall clock every phase sees its time run out at once
    model, kwargs = _models(_instance())["max coverage"]
    kwargs = {**kwargs, "time_limit_s": 5.0, "seed": 2}
    normal = _solve(monkeypatch, model, None, **kwargs)
    slow = _solve(monkeypatch, model, 5.0, **kwargs)
    assert slow.engine == "greedy" != normal.engine
    assert "work" not in normal.details


def test_time_limit_stays_a_safety_ceiling():
    model, kwargs = _models(_instance(3, n_cells=4000, n_sites=500))["least cost"]
    res = model(**kwargs, time_limit_s=0.3, work_limit=1000.0)
    assert res.details["work"]["stopped_by_time_limit"] is True
    assert res.details["work"]["used"] < 1000.0


@pytest.mark.parametrize("bad", [0, -1.0, float("nan"), float("inf"), True, "5"])
def test_bad_work_limits_are_input_errors(bad):
    model, kwargs = _models(_instance())["max coverage"]
    with pytest.raises(InputError, match="work_limit"):
        model(**kwargs, work_limit=bad)


def test_cbc_has_no_work_limit():
    model, kwargs = _models(_instance())["least cost"]
    with pytest.raises(InputError, match="CBC"):
        model(**kwargs, engine="CBC", work_limit=1.0)


def test_clock_readings_and_charges():
    assert effort.current() is None
    effort.charge(5.0)  # the wall clock counts nothing
    with effort.work_clock(2.0, wall_limit_s=100.0) as clock:
        assert effort.current() is clock
        start = effort.now()
        assert start == 0.0
        assert not effort.out_of_time(start, 1.0)
        effort.charge(0.75)
        effort.charge_nnz(effort.SEARCH_NNZ_PER_UNIT / 4)
        assert effort.now() == pytest.approx(1.0)
        assert effort.out_of_time(start, 1.0)
        assert effort.lp_iteration_limit(1.0, 1000) == int(effort.LP_NNZ_ITERATIONS_PER_UNIT / 1000)
        assert effort.mip_node_limit(1e-12, 10**9) == 1  # at least one node
        assert effort.solver_wall_limit(3.0) == pytest.approx(100.0, abs=1.0)
        with effort.phase("mip"):
            effort.charge(0.5)
        assert clock.phases[-1][:2] == ("mip", 0.5)
    assert effort.current() is None
    assert effort.lp_iteration_limit(1.0, 1000) is None
    assert effort.mip_node_limit(1.0, 1000) is None
    assert effort.solver_wall_limit(3.0) == 3.0


def test_solver_limits_fit_the_solvers_integer_parameters():
    # PDLP's iteration_limit and HiGHS's mip_max_nodes are 32-bit ints
    with effort.work_clock(effort.MAX_WORK_LIMIT, wall_limit_s=100.0):
        assert effort.lp_iteration_limit(effort.MAX_WORK_LIMIT, 1) == 2**31 - 1
        assert effort.mip_node_limit(effort.MAX_WORK_LIMIT, 1) == 2**31 - 1
        assert effort.lp_iteration_limit(1e300, 1) == 2**31 - 1


@pytest.mark.parametrize("engine", ["SCIP", "HIGHS"])
def test_the_largest_work_limit_runs_with_every_solver_limit_valid(capfd, engine):
    inst = _instance(n_cells=300, n_sites=40)
    model, kwargs = _models(inst)["max coverage"]
    res = model(**kwargs, engine=engine, time_limit_s=60.0, work_limit=effort.MAX_WORK_LIMIT)
    assert res.details["work"]["limit"] == effort.MAX_WORK_LIMIT
    assert res.details["work"]["stopped_by_time_limit"] is False
    err = capfd.readouterr().err
    assert "out of range" not in err and "Error parsing" not in err


@pytest.mark.parametrize("over", [1e6 + 1, 1e9, 1e300])
def test_a_work_limit_over_the_cap_is_an_input_error(over):
    model, kwargs = _models(_instance())["max coverage"]
    with pytest.raises(InputError, match=r"work_limit.*at most 1e\+06"):
        model(**kwargs, work_limit=over)
