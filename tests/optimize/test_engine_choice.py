"""Engine names: 'greedy' only where a greedy-only answer exists; unknown names rejected."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from denen_gis.errors import InputError
from denen_gis.optimize import (
    Targets,
    solve_max_coverage,
    solve_max_min_fairness,
    solve_min_cost,
    solve_rollout,
)

COV = sp.csr_matrix(np.eye(3, dtype=bool))
POP = np.array([5.0, 3.0, 2.0])
COST = np.array([1.0, 1.0, 1.0])


@pytest.mark.parametrize(
    "call",
    [
        lambda e: solve_min_cost(COV, POP, COST, targets=Targets(national=0.5), engine=e),
        lambda e: solve_max_min_fairness(
            COV, POP, COST, budget_myen=2.0, groups=np.array(["01", "02", "03"]), engine=e
        ),
        lambda e: solve_rollout(COV, POP, COST, yearly_budgets_myen={2027: 1.0}, engine=e),
    ],
)
def test_greedy_engine_is_refused_by_mip_only_models(call):
    with pytest.raises(InputError, match="solves only solve_max_coverage"):
        call("greedy")


def test_greedy_engine_answers_max_coverage():
    res = solve_max_coverage(COV, POP, COST, budget_myen=2.0, engine="greedy")
    assert res.chosen.tolist() == [0, 1]


def test_unknown_engine_is_refused():
    with pytest.raises(InputError, match="engine='gurobi' is unknown"):
        solve_max_coverage(COV, POP, COST, budget_myen=2.0, engine="gurobi")
