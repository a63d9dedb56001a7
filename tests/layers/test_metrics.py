"""Tests of coverage metrics and the weighted Gini coefficient."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from denen_gis.errors import InputError
from denen_gis.layers.metrics import coverage_metrics, gini


def _gini_brute(x: np.ndarray, w: np.ndarray) -> float:
    mean = (w * x).sum() / w.sum()
    if mean == 0:
        return 0.0
    diff = np.abs(x[:, None] - x[None, :])
    return float((w[:, None] * w[None, :] * diff).sum() / (2 * w.sum() ** 2 * mean))


def test_gini_hand_values() -> None:
    assert gini([0.7, 0.7, 0.7, 0.7]) == 0.0
    assert gini([0.0, 0.0]) == 0.0
    # (0, 1): mean 0.5, sum |xi-xj| over ordered pairs = 2 -> 2 / (2 * 4 * 0.5) = 0.5
    assert gini([0.0, 1.0]) == pytest.approx(0.5)
    # (1, 2, 3): sum |xi-xj| = 2 (1+2+1) = 8; mean 2 -> 8 / (2 * 9 * 2) = 2/9
    assert gini([3.0, 1.0, 2.0]) == pytest.approx(2.0 / 9.0)
    # weights (3, 1) on (0, 1): mean 0.25; 2 * 3 * 1 * 1 / (2 * 16 * 0.25) = 0.75
    assert gini([0.0, 1.0], weights=[3, 1]) == pytest.approx(0.75)
    # zero weights drop out
    assert gini([0.2, 0.9, 0.2], weights=[1, 0, 1]) == 0.0


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 1), st.integers(0, 50)), min_size=1, max_size=30))
def test_gini_matches_brute_force(pairs: list[tuple[float, int]]) -> None:
    x = np.array([p[0] for p in pairs])
    w = np.array([p[1] for p in pairs], dtype=float)
    if w.sum() == 0:
        with pytest.raises(InputError):
            gini(x, w)
        return
    assert gini(x, w) == pytest.approx(_gini_brute(x, w), abs=1e-12)
    # integer weights act as repeat counts
    assert gini(x, w) == pytest.approx(gini(np.repeat(x, w.astype(int))), abs=1e-12)
    assert 0.0 <= gini(x, w) <= 1.0


def test_gini_rejects_bad_input() -> None:
    with pytest.raises(InputError, match="must not be negative"):
        gini([-0.1, 0.5])
    with pytest.raises(InputError, match="2 values but 3 weights"):
        gini([0.1, 0.5], weights=[1, 2, 3])
    with pytest.raises(InputError, match="finite"):
        gini([np.nan, 0.5])


def _example() -> dict[str, object]:
    # prefecture 01: cells 100 (urban, covered), 50 (rural, not covered)
    # prefecture 02: cells 30 (rural, covered), 20 (rural, covered)
    # prefecture 03: one empty cell (rural, not covered)
    return dict(
        population=np.array([100, 50, 30, 20, 0]),
        covered=np.array([True, False, True, True, False]),
        pref_code=np.array(["01", "01", "02", "02", "03"]),
        urban=np.array([True, False, False, False, False]),
        area_km2=np.array([1.0, 2.0, 1.5, 0.5, 3.0]),
        block=np.array(["Hokkaido", "Hokkaido", "Tohoku", "Tohoku", "Tohoku"]),
    )


def test_coverage_metrics_hand_computed() -> None:
    ex = _example()
    m = coverage_metrics(
        ex["population"],
        ex["covered"],
        pref_code=ex["pref_code"],
        urban=ex["urban"],
        area_km2=ex["area_km2"],
        block=ex["block"],
    )
    assert m.population == 200
    assert m.covered_population == 150
    assert m.coverage_pct == pytest.approx(75.0)
    assert m.area_km2 == pytest.approx(8.0)
    assert m.covered_area_km2 == pytest.approx(3.0)
    assert m.urban_pct == pytest.approx(100.0)
    # rural: 50 + 30 + 20 + 0 = 100 people, 50 covered
    assert m.rural_pct == pytest.approx(50.0)
    assert m.urban_rural_gap_pp == pytest.approx(50.0)
    bp = m.by_pref.set_index("pref_code")
    assert bp["population"].tolist() == [150, 50, 0]
    assert bp["covered_population"].tolist() == [100, 50, 0]
    assert bp.loc["01", "coverage_pct"] == pytest.approx(100 * 100 / 150)
    assert bp.loc["02", "coverage_pct"] == pytest.approx(100.0)
    assert math.isnan(bp.loc["03", "coverage_pct"])
    assert bp.loc["01", "covered_area_km2"] == pytest.approx(1.0)
    assert m.lowest_pref == "01"
    assert m.lowest_pref_pct == pytest.approx(200 / 3)
    # Gini of shares (2/3, 1) weighted (150, 50): mean = (100 + 50) / 200 = 0.75
    # 2 * 150 * 50 * (1/3) / (2 * 200^2 * 0.75) = 5000 / 60000 = 1/12
    assert m.gini == pytest.approx(1.0 / 12.0)
    bb = m.by_block.set_index("block")
    assert bb.loc["Tohoku", "coverage_pct"] == pytest.approx(100.0)
    assert bb.loc["Hokkaido", "population"] == 150


def test_metrics_to_dict_is_json_ready() -> None:
    ex = _example()
    m = coverage_metrics(
        ex["population"], ex["covered"], pref_code=ex["pref_code"], urban=ex["urban"]
    )
    d = m.to_dict()
    text = json.dumps(d, allow_nan=False)
    back = json.loads(text)
    assert back["covered_population"] == 150
    assert back["by_pref"][2]["coverage_pct"] is None
    assert back["area_km2"] is None
    assert back["by_block"] is None
    assert isinstance(back["by_pref"][0]["population"], int)


def test_metrics_all_rural_and_uncovered() -> None:
    m = coverage_metrics([10, 20], [False, False], pref_code=["05", "06"], urban=[False, False])
    assert m.coverage_pct == 0.0
    assert math.isnan(m.urban_pct)
    assert math.isnan(m.urban_rural_gap_pp)
    assert m.gini == 0.0
    assert m.lowest_pref == "05"


def test_metrics_reject_bad_input() -> None:
    with pytest.raises(InputError, match="population row 1"):
        coverage_metrics([10, -1], [True, True], pref_code=["01", "01"], urban=[True, True])
    with pytest.raises(InputError, match="covered has shape"):
        coverage_metrics([10, 1], [True], pref_code=["01", "01"], urban=[True, True])
    with pytest.raises(InputError, match="covered must be bool"):
        coverage_metrics([10, 1], [0.5, 1.0], pref_code=["01", "01"], urban=[True, True])
