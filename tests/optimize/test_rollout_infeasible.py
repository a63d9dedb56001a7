"""A rollout whose yearly targets the budgets cannot meet says so with a table (issue 16)."""

from __future__ import annotations

import numpy as np
import pytest
from tests.optimize.test_rollout import brute_rollout, make_case, run

from denen_gis.errors import InfeasibleError
from denen_gis.optimize import Targets


def test_budget_infeasible_rollout_has_a_shortfall_table_and_no_time_advice():
    case = make_case(1)
    budgets = {2026: 1.0, 2027: 1.0}
    pop = case["population"]
    reach = case["dense"].any(axis=1) | case["covered_before"]
    # reachable with every site built, but not with 1 million yen a year
    target = float(pop[reach].sum() / pop.sum()) - 0.01
    targets = {2027: Targets(national=target)}
    assert brute_rollout(case, budgets, targets=targets) is None
    with pytest.raises(InfeasibleError) as info:
        run(case, budgets, yearly_targets=targets)
    message = str(info.value)
    assert "time limit" not in message and "budgets" in message
    table = info.value.shortfall
    assert list(table["year"]) == [2027] and list(table["target"]) == ["national"]
    assert table["gap_pp"].iloc[0] > 0
    assert np.isclose(table["target_pct"].iloc[0], 100 * target)
