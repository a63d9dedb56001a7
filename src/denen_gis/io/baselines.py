"""5G baselines by fiscal year: which stations are on air, which sites are candidates.

The modelled 5G stations carry ``since_fy``, the fiscal year by whose end
each was on air; the baselines nest (a station of FY2021 is still there in
FY2023). A baseline ``"fy2021"`` keeps the stations with ``since_fy <= 2021``;
the stations added later become ``upgrade`` candidates (ids ``N...``) of that baseline (they
are 4G sites that got NR later), at the cost of the shipped upgrade candidates.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from denen_gis.errors import InputError

__all__ = [
    "BASELINES",
    "DEFAULT_BASELINE",
    "baseline_year",
    "calibration_errors",
    "candidates_at",
    "stations_at",
]

#: Baselines shipped with the embedded dataset (end of the fiscal year, i.e. March next year).
BASELINES = ("fy2021", "fy2022", "fy2023")
#: The baseline used when none is given.
DEFAULT_BASELINE = "fy2023"
#: MIC's national 5G population coverage at the end of each baseline year [%].
MIC_NATIONAL_PCT = {"fy2021": 93.2, "fy2022": 96.6, "fy2023": 98.1}
#: Cost [million yen] of an NR upgrade when the candidates layer has none to copy.
_UPGRADE_MYEN = 7.0


def baseline_year(baseline: str | None) -> int:
    """The fiscal year of a baseline name (``None`` = :data:`DEFAULT_BASELINE`).

    Raises
    ------
    InputError
        For a name not in :data:`BASELINES`.

    Examples
    --------
    >>> baseline_year("fy2021"), baseline_year(None)
    (2021, 2023)
    """
    name = DEFAULT_BASELINE if baseline is None else str(baseline).strip().lower()
    if name not in BASELINES:
        msg = f"baseline {baseline!r} is not one of {list(BASELINES)}"
        raise InputError(msg)
    return int(name[2:])


def stations_at(stations: gpd.GeoDataFrame, baseline: str | None) -> gpd.GeoDataFrame:
    """Stations on air at the end of the baseline year (all when there is no ``since_fy``)."""
    year = baseline_year(baseline)
    if "since_fy" not in stations.columns:
        return stations
    keep = pd.to_numeric(stations["since_fy"]).to_numpy() <= year
    return stations.loc[keep].reset_index(drop=True)


def candidates_at(
    candidates: gpd.GeoDataFrame, stations: gpd.GeoDataFrame, baseline: str | None
) -> gpd.GeoDataFrame:
    """Candidates of a baseline: the shipped ones plus the later 5G sites as upgrades."""
    year = baseline_year(baseline)
    if "since_fy" not in stations.columns:
        return candidates
    later = stations.loc[pd.to_numeric(stations["since_fy"]).to_numpy() > year]
    if later.empty:
        return candidates
    if "kind" in candidates.columns and (candidates["kind"] == "upgrade").any():
        first = candidates.loc[candidates["kind"] == "upgrade"].iloc[0]
        cost, note = float(first["cost_myen"]), str(first.get("cost_note", ""))
    else:
        cost, note = _UPGRADE_MYEN, "NR upgrade of an existing 4G site (modelled)"
    extra = gpd.GeoDataFrame(
        {
            "site_id": later["site_id"].astype(str).str.replace("S", "N", n=1).to_numpy(),
            "station_type": later["station_type"].to_numpy(),
            "cost_myen": np.full(len(later), cost),
            "height_m": later["height_m"].to_numpy() if "height_m" in later else np.nan,
            "pref_code": later["pref_code"].to_numpy(),
            "backhaul_km": 0.0,
            "cost_note": note + f" (5G here after FY{year} in the modelled network)",
            "kind": "upgrade",
            **({"mesh_code": later["mesh_code"].to_numpy()} if "mesh_code" in later else {}),
        },
        geometry=later.geometry.to_numpy(),
        crs=candidates.crs,
    )
    cols = [c for c in candidates.columns if c in extra.columns or c == "geometry"]
    out = pd.concat([candidates, extra[cols]], ignore_index=True)
    return gpd.GeoDataFrame(out, geometry="geometry", crs=candidates.crs)


def calibration_errors(calibration: pd.DataFrame) -> list[dict[str, object]]:
    """Per baseline year: national figure, and the error against MIC's prefecture figures.

    ``calibration`` has ``fy``, ``pref_code`` (``"00"`` national), ``mic_pct`` and
    ``model_pct`` (as :func:`denen_gis.io.japan.load_fiveg_calibration`). Each
    row: ``baseline``, ``national_pct``, ``mic_national_pct``, ``prefectures_known``,
    ``mae_pp`` (mean absolute error where MIC is known), ``worst_pref``,
    ``worst_error_pp`` (signed, model - MIC).

    Examples
    --------
    >>> cal = pd.DataFrame({"fy": [2021] * 3, "pref_code": ["00", "01", "02"],
    ...                     "mic_pct": [93.2, 90.0, None], "model_pct": [93.1, 91.0, 95.0]})
    >>> calibration_errors(cal)[0]["worst_pref"], calibration_errors(cal)[0]["mae_pp"]
    ('01', 1.0)
    """
    out: list[dict[str, object]] = []
    for fy, rows in calibration.groupby("fy", sort=True):
        nat = rows[rows["pref_code"] == "00"].iloc[0]
        known = rows[(rows["pref_code"] != "00") & rows["mic_pct"].notna()]
        err = known["model_pct"] - known["mic_pct"]
        worst = int(np.argmax(err.abs().to_numpy())) if len(err) else -1
        out.append(
            {
                "baseline": f"fy{int(fy)}",
                "national_pct": float(nat["model_pct"]),
                "mic_national_pct": float(nat["mic_pct"]),
                "prefectures_known": len(known),
                "mae_pp": round(float(err.abs().mean()), 3) if len(err) else None,
                "worst_pref": str(known["pref_code"].iloc[worst]) if worst >= 0 else None,
                "worst_error_pp": round(float(err.iloc[worst]), 3) if worst >= 0 else None,
            }
        )
    return out
