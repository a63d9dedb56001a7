"""The policy's reasons for a data-centre site, as terms of the siting objective.

MIC's regional DC policy asks for sites that spread risk away from the Tokyo
and Osaka areas, keep cool cheaply, have renewable power nearby, have land,
and are near the international landings. Each criterion is read from the
indices of the ``datacenters`` layer (built by ``data/build/infrastructure.py``)
as a *badness* in 0-1:

============  ===========================================  ==========
criterion     badness of a site                            default
============  ===========================================  ==========
hazard        ``hazard_index``                             0.30 ms
cooling       1 - ``cooling_index``                        0.15 ms
renewable     1 - ``renewable_index``                      0.15 ms
land          (area cost factor - 1) / 0.4 (Tokyo = 1)     0.10 ms
landing       min(``landing_km`` / 500, 1)                 0.15 ms
============  ===========================================  ==========

The weight of a criterion is in milliseconds of population-weighted mean RTT
(the latency term of the objective): opening a site with badness 1 on
``hazard`` costs as much as 0.30 ms more mean RTT for everyone. A weight of 0
drops the criterion; latency alone is all weights 0.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from denen_gis.errors import InputError

__all__ = [
    "DEFAULT_CRITERIA_MS",
    "MAX_CRITERION_MS",
    "criteria_badness",
    "site_penalty_ms",
    "site_reasons",
]

#: Largest criterion weight [ms]; keep equal to
#: :data:`denen_gis.scenario_checks.MAX_WEIGHT_MS` (a test checks).
MAX_CRITERION_MS = 1e6

#: Default weight of each criterion [ms of mean RTT per unit badness].
DEFAULT_CRITERIA_MS: dict[str, float] = {
    "hazard": 0.30,
    "cooling": 0.15,
    "renewable": 0.15,
    "land": 0.10,
    "landing": 0.15,
}
_AREA_FACTOR = {"tokyo": 1.4, "osaka": 1.2}


def criteria_badness(sites: pd.DataFrame) -> pd.DataFrame:
    """Badness 0-1 of each site under each criterion (columns of :data:`DEFAULT_CRITERIA_MS`).

    Raises
    ------
    InputError
        A missing index column.
    """
    need = ("hazard_index", "cooling_index", "renewable_index", "landing_km")
    missing = [c for c in need if c not in sites.columns]
    if missing:
        msg = (
            f"datacenters: the siting criteria need column(s) {missing}; set every "
            "criteria weight to 0 to site on latency alone"
        )
        raise InputError(msg)
    area = sites["area"].astype(str) if "area" in sites.columns else pd.Series("other", sites.index)
    factor = area.map(_AREA_FACTOR).fillna(1.0).to_numpy(dtype=float)
    return pd.DataFrame(
        {
            "hazard": sites["hazard_index"].to_numpy(dtype=float),
            "cooling": 1.0 - sites["cooling_index"].to_numpy(dtype=float),
            "renewable": 1.0 - sites["renewable_index"].to_numpy(dtype=float),
            "land": (factor - 1.0) / 0.4,
            "landing": np.minimum(sites["landing_km"].to_numpy(dtype=float) / 500.0, 1.0),
        },
        index=sites.index,
    ).clip(0.0, 1.0)


def _check_weights(weights: Mapping[str, float]) -> dict[str, float]:
    unknown = sorted(set(weights) - set(DEFAULT_CRITERIA_MS))
    if unknown:
        msg = f"datacenter criteria: unknown {unknown}; use {sorted(DEFAULT_CRITERIA_MS)}"
        raise InputError(msg)
    out = {k: float(weights.get(k, 0.0)) for k in DEFAULT_CRITERIA_MS}
    bad = [k for k, v in out.items() if not (np.isfinite(v) and 0 <= v <= MAX_CRITERION_MS)]
    if bad:
        msg = (
            f"datacenter criteria: weights must be finite, >= 0 and at most "
            f"{MAX_CRITERION_MS:g} [ms], got {bad}"
        )
        raise InputError(msg)
    return out


def site_penalty_ms(sites: pd.DataFrame, weights: Mapping[str, float]) -> np.ndarray:
    """Cost of opening each site [ms of mean RTT]: sum of weight x badness.

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.DataFrame({"hazard_index": [0.2, 0.9], "cooling_index": [1.0, 0.0],
    ...                   "renewable_index": [1.0, 1.0], "landing_km": [0.0, 0.0]})
    >>> site_penalty_ms(s, {"hazard": 0.3, "cooling": 0.1}).round(3).tolist()
    [0.06, 0.37]
    """
    w = _check_weights(weights)
    if not any(w.values()):
        return np.zeros(len(sites))
    bad = criteria_badness(sites)
    return sum(w[k] * bad[k].to_numpy() for k in w)  # type: ignore[return-value]


def site_reasons(
    sites: pd.DataFrame, *, candidates: pd.Series, weights: Mapping[str, float]
) -> pd.Series:
    """One sentence per site: how it ranks among the candidates on each criterion.

    ``candidates`` marks the sites it is compared with (the new sites the
    model could open). Latency is stated by the caller (people served, RTT).
    """
    w = _check_weights(weights)
    bad = criteria_badness(sites)
    pool = bad[candidates.to_numpy(dtype=bool)]
    labels = {
        "hazard": ("low hazard", "high hazard"),
        "cooling": ("cool climate", "warm climate"),
        "renewable": ("renewable supply nearby", "little renewable supply"),
        "land": ("land outside the big metro areas", "costly metro land"),
        "landing": ("near an international landing", "far from the landings"),
    }
    values = {
        "hazard": sites["hazard_index"].map("hazard index {:.2f}".format),
        "cooling": sites["cooling_index"].map("cooling index {:.2f}".format),
        "renewable": sites["renewable_index"].map("renewable index {:.2f}".format),
        "land": (bad["land"] * 0.4 + 1).map("cost factor {:.1f}".format),
        "landing": sites["landing_km"].map("{:.0f} km to the nearest landing".format),
    }
    out = []
    for idx in sites.index:
        parts = []
        for k in DEFAULT_CRITERIA_MS:
            share = float((pool[k] >= bad.at[idx, k]).mean()) if len(pool) else 0.0
            good, poor = labels[k]
            # share of candidates at least as bad: high share = this site is among the best
            if share >= 2 / 3:
                parts.append(f"{good} ({values[k][idx]}, better than most candidates)")
            elif share <= 1 / 3:
                parts.append(f"{poor} ({values[k][idx]})")
        weight_note = "" if any(w.values()) else " (criteria not weighted: latency only)"
        out.append("; ".join(parts) + weight_note if parts else "average on every criterion")
    return pd.Series(out, index=sites.index, dtype=object)
