"""5G radio model: 3GPP TR 38.901 path loss, station types and link budgets.

Pure functions on numpy arrays, then two small frozen dataclasses:

- :func:`path_loss_rma`, :func:`path_loss_uma`, :func:`path_loss_umi`: the
  path-loss models of 3GPP TR 38.901 V17 Table 7.4.1-1 [dB], LOS, NLOS or the
  LOS-probability-weighted expectation (:func:`los_probability`, Table 7.4.2-1).
- :class:`StationType`: one kind of base station (band, power, antenna, height,
  RSRP threshold, cost). :data:`STATION_TYPES` holds the built-in ones.
- :class:`LinkBudget`: the receiving side (UE height, noise figure, indoor
  penetration, shadowing margin, LOS mode).
- :func:`rsrp_dbm` and :func:`coverage_radius_km`: the RSRP at a distance and
  the distance at which it falls to the station type's threshold.

Distances below 10 m are **clamped** to 10 m (the models' lower bound);
distances beyond the upper bound of a model (RMa LOS 10 km, RMa NLOS 5 km,
UMa/UMi 5 km) are **extrapolated** with the same formula. Coverage radii are
capped at the radio horizon of a 4/3 Earth. See ``docs/radio.md``.
"""

from __future__ import annotations

import logging
import math
import numbers
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.optimize import brentq

from denen_gis.errors import InputError

__all__ = [
    "JAPAN_BOUNDS",
    "LOS_MODES",
    "MIN_DISTANCE_M",
    "PATH_LOSS_MODELS",
    "SPEED_OF_LIGHT_M_S",
    "STATION_TYPES",
    "LinkBudget",
    "StationType",
    "check_station_frame",
    "coverage_radii_km",
    "coverage_radius_km",
    "los_probability",
    "n_resource_blocks",
    "noise_per_re_dbm",
    "path_loss",
    "path_loss_rma",
    "path_loss_uma",
    "path_loss_umi",
    "radio_horizon_km",
    "radius_table",
    "rsrp_dbm",
    "site_radii_km",
    "station_types_from_table",
]

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]

#: Speed of light used by TR 38.901 for breakpoint distances [m/s].
SPEED_OF_LIGHT_M_S = 3.0e8
#: Lower bound of every TR 38.901 path-loss model [m]; shorter distances are clamped to it.
MIN_DISTANCE_M = 10.0
#: Path-loss models by key, with their frequency range [GHz] from TR 38.901 section 7.4.1.
PATH_LOSS_MODELS: dict[str, tuple[float, float]] = {
    "rma": (0.5, 30.0),
    "uma": (0.5, 100.0),
    "umi": (0.5, 100.0),
}
#: LOS modes of a link budget: always LOS, always NLOS, or LOS-probability-weighted.
LOS_MODES = ("nlos", "los", "expected")
#: Bounding box (west, south, east, north) [degrees] that every Japanese station lies in.
JAPAN_BOUNDS = (122.0, 20.0, 154.0, 46.5)

# UMa effective environment height h_E [m]. TR 38.901 Note 1 draws h_E at random
# (1 m with probability 1/(1+C(d2D, h_UT)), else 12, 15, ... m), but C = 0 for
# h_UT <= 13 m, so h_E = 1 m is exact for ground-level users and a simplification
# only above 13 m.
_H_E_M = 1.0
# Effective Earth radius for the radio horizon: 4/3 of the mean radius [m].
_EFFECTIVE_EARTH_RADIUS_M = 4.0 / 3.0 * 6371.0088e3

# Transmission bandwidth configuration N_RB by (SCS [kHz], channel bandwidth [MHz]):
# TS 38.101-1 Table 5.3.2-1 (FR1) and TS 38.101-2 Table 5.3.2-1 (FR2).
_N_RB: dict[tuple[int, int], int] = {
    **{
        (15, bw): n
        for bw, n in [
            (5, 25),
            (10, 52),
            (15, 79),
            (20, 106),
            (25, 133),
            (30, 160),
            (40, 216),
            (50, 270),
        ]
    },
    **{
        (30, bw): n
        for bw, n in [
            (5, 11),
            (10, 24),
            (15, 38),
            (20, 51),
            (25, 65),
            (30, 78),
            (40, 106),
            (50, 133),
            (60, 162),
            (70, 189),
            (80, 217),
            (90, 245),
            (100, 273),
        ]
    },
    **{
        (60, bw): n
        for bw, n in [
            (10, 11),
            (15, 18),
            (20, 24),
            (25, 31),
            (30, 38),
            (40, 51),
            (50, 65),
            (60, 79),
            (70, 93),
            (80, 107),
            (90, 121),
            (100, 135),
            (200, 264),
        ]
    },
    **{(120, bw): n for bw, n in [(50, 32), (100, 66), (200, 132), (400, 264)]},
}


# --------------------------------------------------------------------------- path loss


def _check_model_inputs(model: str, freq_ghz: float, h_bs_m: npt.ArrayLike, h_ut_m: float) -> None:
    lo, hi = PATH_LOSS_MODELS[model]
    if not lo <= freq_ghz <= hi:
        msg = (
            f"freq_ghz={freq_ghz:g} is outside the {model.upper()} model range "
            f"{lo:g}-{hi:g} GHz of TR 38.901; use another model or band"
        )
        raise InputError(msg)
    h_bs = np.asarray(h_bs_m, dtype=float)
    if not (np.isfinite(h_bs).all() and (h_bs > h_ut_m).all()):
        msg = f"h_bs_m must be finite and above the UE height h_ut_m={h_ut_m:g} m"
        raise InputError(msg)
    if model != "rma" and h_ut_m <= _H_E_M:
        msg = f"h_ut_m={h_ut_m:g} m must exceed h_E={_H_E_M:g} m for {model.upper()}"
        raise InputError(msg)
    if h_ut_m <= 0:
        msg = f"h_ut_m={h_ut_m:g} m must be positive"
        raise InputError(msg)


def _distances(
    d2d_m: npt.ArrayLike, h_bs_m: npt.ArrayLike, h_ut_m: float
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Clamped 2D distance, 3D distance and base-station height, broadcast [m]."""
    d2d = np.asarray(d2d_m, dtype=float)
    if np.isnan(d2d).any() or (d2d < 0).any():
        msg = "d2d_m must be non-negative distances in metres"
        raise InputError(msg)
    d2d, h_bs = np.broadcast_arrays(
        np.maximum(d2d, MIN_DISTANCE_M), np.asarray(h_bs_m, dtype=float)
    )
    d3d = np.sqrt(d2d**2 + (h_bs - h_ut_m) ** 2)
    return d2d, d3d, h_bs


def _mix(pl_los: FloatArray, pl_nlos: FloatArray, p_los: FloatArray) -> FloatArray:
    """Expected path loss [dB]: LOS probability weighting of linear received power."""
    gain = p_los * 10.0 ** (-pl_los / 10.0) + (1.0 - p_los) * 10.0 ** (-pl_nlos / 10.0)
    return -10.0 * np.log10(gain)


def path_loss_rma(
    d2d_m: npt.ArrayLike,
    *,
    freq_ghz: float,
    h_bs_m: npt.ArrayLike = 35.0,
    h_ut_m: float = 1.5,
    los: bool | None,
    h_building_m: float = 5.0,
    street_width_m: float = 20.0,
) -> FloatArray:
    """Rural macro (RMa) path loss [dB], TR 38.901 Table 7.4.1-1.

    LOS::

        PL1 = 20 log10(40 pi d3D fc / 3) + min(0.03 h^1.72, 10) log10(d3D)
              - min(0.044 h^1.72, 14.77) + 0.002 log10(h) d3D     (10 m <= d2D <= d_BP)
        PL2 = PL1(d_BP) + 40 log10(d3D / d_BP)                     (d_BP <= d2D <= 10 km)
        d_BP = 2 pi h_BS h_UT fc / c                               (fc in Hz)

    NLOS (valid to 5 km): ``max(PL_LOS, PL'_NLOS)`` with::

        PL'_NLOS = 161.04 - 7.1 log10(W) + 7.5 log10(h)
                   - (24.37 - 3.7 (h / h_BS)^2) log10(h_BS)
                   + (43.42 - 3.1 log10(h_BS)) (log10(d3D) - 3)
                   + 20 log10(fc) - (3.2 (log10(11.75 h_UT))^2 - 4.97)

    ``PL1(d_BP)`` is PL1 evaluated with the breakpoint distance as its
    distance argument, as written in the table.

    Parameters
    ----------
    d2d_m
        Horizontal distance [m]; below 10 m it is clamped to 10 m, beyond the
        upper bound (LOS 10 km, NLOS 5 km) the formula is extrapolated.
    freq_ghz
        Carrier frequency [GHz], 0.5-30.
    h_bs_m
        Base-station antenna height [m] (default 35; valid 10-150), scalar or
        an array that broadcasts with ``d2d_m``.
    h_ut_m
        UE antenna height [m] (default 1.5; valid 1-10).
    los
        ``True`` LOS, ``False`` NLOS, ``None`` the expectation over the LOS
        probability of :func:`los_probability` (weighting linear power).
    h_building_m
        Average building height h [m] (default 5; valid 5-50).
    street_width_m
        Average street width W [m] (default 20; valid 5-50).

    Returns
    -------
    numpy.ndarray
        Path loss [dB], shape of the broadcast inputs.

    Examples
    --------
    >>> round(float(path_loss_rma(1000.0, freq_ghz=3.5, los=True)), 2)
    105.46
    """
    _check_model_inputs("rma", freq_ghz, h_bs_m, h_ut_m)
    d2d, d3d, h_bs = _distances(d2d_m, h_bs_m, h_ut_m)
    h = float(h_building_m)
    w = float(street_width_m)
    if h <= 0 or w <= 0:
        msg = "h_building_m and street_width_m must be positive [m]"
        raise InputError(msg)
    d_bp = 2.0 * np.pi * h_bs * h_ut_m * freq_ghz * 1e9 / SPEED_OF_LIGHT_M_S

    def pl1(d: FloatArray) -> FloatArray:
        return (
            20.0 * np.log10(40.0 * np.pi * d * freq_ghz / 3.0)
            + min(0.03 * h**1.72, 10.0) * np.log10(d)
            - min(0.044 * h**1.72, 14.77)
            + 0.002 * np.log10(h) * d
        )

    pl_los = np.where(d2d <= d_bp, pl1(d3d), pl1(d_bp) + 40.0 * np.log10(d3d / d_bp))
    if los is True:
        return pl_los
    pl_nlos_prime = (
        161.04
        - 7.1 * np.log10(w)
        + 7.5 * np.log10(h)
        - (24.37 - 3.7 * (h / h_bs) ** 2) * np.log10(h_bs)
        + (43.42 - 3.1 * np.log10(h_bs)) * (np.log10(d3d) - 3.0)
        + 20.0 * np.log10(freq_ghz)
        - (3.2 * np.log10(11.75 * h_ut_m) ** 2 - 4.97)
    )
    pl_nlos = np.maximum(pl_los, pl_nlos_prime)
    if los is False:
        return pl_nlos
    return _mix(pl_los, pl_nlos, los_probability(d2d, "rma", h_ut_m))


def path_loss_uma(
    d2d_m: npt.ArrayLike,
    *,
    freq_ghz: float,
    h_bs_m: npt.ArrayLike = 25.0,
    h_ut_m: float = 1.5,
    los: bool | None,
) -> FloatArray:
    """Urban macro (UMa) path loss [dB], TR 38.901 Table 7.4.1-1.

    LOS::

        PL1 = 28.0 + 22 log10(d3D) + 20 log10(fc)                 (10 m <= d2D <= d'_BP)
        PL2 = 28.0 + 40 log10(d3D) + 20 log10(fc)
              - 9 log10(d'_BP^2 + (h_BS - h_UT)^2)                (d'_BP <= d2D <= 5 km)
        d'_BP = 4 h'_BS h'_UT fc / c,  h' = h - h_E               (fc in Hz)

    NLOS: ``max(PL_LOS, PL'_NLOS)`` with
    ``PL'_NLOS = 13.54 + 39.08 log10(d3D) + 20 log10(fc) - 0.6 (h_UT - 1.5)``.

    The effective environment height is taken as ``h_E = 1 m``. TR 38.901
    draws it at random, but its probability of differing from 1 m is zero for
    UEs at or below 13 m, so this is exact for street-level users.

    Parameters
    ----------
    d2d_m
        Horizontal distance [m]; clamped to 10 m below, extrapolated beyond 5 km.
    freq_ghz
        Carrier frequency [GHz], 0.5-100.
    h_bs_m
        Base-station antenna height [m] (default 25, the height of the model).
    h_ut_m
        UE antenna height [m] (default 1.5; valid 1.5-22.5).
    los
        ``True`` LOS, ``False`` NLOS, ``None`` LOS-probability-weighted.

    Returns
    -------
    numpy.ndarray
        Path loss [dB].

    Examples
    --------
    >>> round(float(path_loss_uma(1000.0, freq_ghz=3.7, los=False)), 2)
    142.15
    """
    _check_model_inputs("uma", freq_ghz, h_bs_m, h_ut_m)
    d2d, d3d, h_bs = _distances(d2d_m, h_bs_m, h_ut_m)
    d_bp = 4.0 * (h_bs - _H_E_M) * (h_ut_m - _H_E_M) * freq_ghz * 1e9 / SPEED_OF_LIGHT_M_S
    log_f = 20.0 * np.log10(freq_ghz)
    pl1 = 28.0 + 22.0 * np.log10(d3d) + log_f
    pl2 = 28.0 + 40.0 * np.log10(d3d) + log_f - 9.0 * np.log10(d_bp**2 + (h_bs - h_ut_m) ** 2)
    pl_los = np.where(d2d <= d_bp, pl1, pl2)
    if los is True:
        return pl_los
    pl_nlos = np.maximum(pl_los, 13.54 + 39.08 * np.log10(d3d) + log_f - 0.6 * (h_ut_m - 1.5))
    if los is False:
        return pl_nlos
    return _mix(pl_los, pl_nlos, los_probability(d2d, "uma", h_ut_m))


def path_loss_umi(
    d2d_m: npt.ArrayLike,
    *,
    freq_ghz: float,
    h_bs_m: npt.ArrayLike = 10.0,
    h_ut_m: float = 1.5,
    los: bool | None,
) -> FloatArray:
    """Urban micro street-canyon (UMi) path loss [dB], TR 38.901 Table 7.4.1-1.

    LOS::

        PL1 = 32.4 + 21 log10(d3D) + 20 log10(fc)                 (10 m <= d2D <= d'_BP)
        PL2 = 32.4 + 40 log10(d3D) + 20 log10(fc)
              - 9.5 log10(d'_BP^2 + (h_BS - h_UT)^2)              (d'_BP <= d2D <= 5 km)
        d'_BP = 4 h'_BS h'_UT fc / c,  h' = h - 1 m               (fc in Hz)

    NLOS: ``max(PL_LOS, PL'_NLOS)`` with
    ``PL'_NLOS = 35.3 log10(d3D) + 22.4 + 21.3 log10(fc) - 0.3 (h_UT - 1.5)``.

    Parameters
    ----------
    d2d_m
        Horizontal distance [m]; clamped to 10 m below, extrapolated beyond 5 km.
    freq_ghz
        Carrier frequency [GHz], 0.5-100.
    h_bs_m
        Base-station antenna height [m] (default 10, the height of the model).
    h_ut_m
        UE antenna height [m] (default 1.5; valid 1.5-22.5).
    los
        ``True`` LOS, ``False`` NLOS, ``None`` LOS-probability-weighted.

    Returns
    -------
    numpy.ndarray
        Path loss [dB].

    Examples
    --------
    >>> round(float(path_loss_umi(100.0, freq_ghz=28.0, los=False)), 2)
    123.88
    """
    _check_model_inputs("umi", freq_ghz, h_bs_m, h_ut_m)
    d2d, d3d, h_bs = _distances(d2d_m, h_bs_m, h_ut_m)
    d_bp = 4.0 * (h_bs - _H_E_M) * (h_ut_m - _H_E_M) * freq_ghz * 1e9 / SPEED_OF_LIGHT_M_S
    log_f = 20.0 * np.log10(freq_ghz)
    pl1 = 32.4 + 21.0 * np.log10(d3d) + log_f
    pl2 = 32.4 + 40.0 * np.log10(d3d) + log_f - 9.5 * np.log10(d_bp**2 + (h_bs - h_ut_m) ** 2)
    pl_los = np.where(d2d <= d_bp, pl1, pl2)
    if los is True:
        return pl_los
    pl_nlos_prime = 35.3 * np.log10(d3d) + 22.4 + 21.3 * np.log10(freq_ghz) - 0.3 * (h_ut_m - 1.5)
    pl_nlos = np.maximum(pl_los, pl_nlos_prime)
    if los is False:
        return pl_nlos
    return _mix(pl_los, pl_nlos, los_probability(d2d, "umi", h_ut_m))


def los_probability(d2d_m: npt.ArrayLike, scenario: str, h_ut_m: float = 1.5) -> FloatArray:
    """Probability of line of sight, TR 38.901 Table 7.4.2-1 (outdoor users).

    - RMa: 1 for d2D <= 10 m, else ``exp(-(d2D - 10) / 1000)``.
    - UMi street canyon: 1 for d2D <= 18 m, else
      ``18/d2D + exp(-d2D/36) (1 - 18/d2D)``.
    - UMa: 1 for d2D <= 18 m, else
      ``[18/d2D + exp(-d2D/63) (1 - 18/d2D)] (1 + C'(h_UT) 5/4 (d2D/100)^3 exp(-d2D/150))``
      with ``C'(h_UT) = 0`` for h_UT <= 13 m and ``((h_UT - 13)/10)^1.5`` above
      (defined to 23 m; extrapolated beyond).

    Parameters
    ----------
    d2d_m
        Horizontal distance [m].
    scenario
        ``"rma"``, ``"uma"`` or ``"umi"``.
    h_ut_m
        UE antenna height [m] (used by UMa only).

    Returns
    -------
    numpy.ndarray
        Probability in [0, 1].

    Examples
    --------
    >>> round(float(los_probability(1010.0, "rma")), 4)
    0.3679
    """
    d = np.asarray(d2d_m, dtype=float)
    if scenario == "rma":
        return np.where(d <= 10.0, 1.0, np.exp(-(d - 10.0) / 1000.0))
    dd = np.maximum(d, 18.0)
    if scenario == "umi":
        p = 18.0 / dd + np.exp(-dd / 36.0) * (1.0 - 18.0 / dd)
    elif scenario == "uma":
        c = 0.0 if h_ut_m <= 13.0 else ((h_ut_m - 13.0) / 10.0) ** 1.5
        p = (18.0 / dd + np.exp(-dd / 63.0) * (1.0 - 18.0 / dd)) * (
            1.0 + c * 1.25 * (dd / 100.0) ** 3 * np.exp(-dd / 150.0)
        )
    else:
        msg = f"unknown scenario {scenario!r}; one of {sorted(PATH_LOSS_MODELS)}"
        raise InputError(msg)
    return np.where(d <= 18.0, 1.0, np.clip(p, 0.0, 1.0))


def path_loss(
    d2d_m: npt.ArrayLike,
    *,
    model: str,
    freq_ghz: float,
    h_bs_m: npt.ArrayLike,
    h_ut_m: float = 1.5,
    los: bool | None,
) -> FloatArray:
    """Path loss [dB] of the TR 38.901 model named ``model`` (``rma``/``uma``/``umi``).

    RMa uses its default building height (5 m) and street width (20 m).

    Examples
    --------
    >>> bool(path_loss(500.0, model="umi", freq_ghz=28.0, h_bs_m=10.0, los=False) > 140)
    True
    """
    if model == "rma":
        return path_loss_rma(d2d_m, freq_ghz=freq_ghz, h_bs_m=h_bs_m, h_ut_m=h_ut_m, los=los)
    if model == "uma":
        return path_loss_uma(d2d_m, freq_ghz=freq_ghz, h_bs_m=h_bs_m, h_ut_m=h_ut_m, los=los)
    if model == "umi":
        return path_loss_umi(d2d_m, freq_ghz=freq_ghz, h_bs_m=h_bs_m, h_ut_m=h_ut_m, los=los)
    msg = f"unknown path-loss model {model!r}; one of {sorted(PATH_LOSS_MODELS)}"
    raise InputError(msg)


def radio_horizon_km(h_bs_m: npt.ArrayLike, h_ut_m: float = 1.5) -> FloatArray:
    """Radio horizon [km] between two antennas over a smooth 4/3 Earth.

    ``sqrt(2 k R h_BS) + sqrt(2 k R h_UT)`` with ``k R`` = 4/3 of the mean
    Earth radius; about ``4.12 (sqrt(h_BS) + sqrt(h_UT))`` km with heights in m.

    Examples
    --------
    >>> round(float(radio_horizon_km(35.0)), 1)
    29.4
    """
    h = np.asarray(h_bs_m, dtype=float)
    two_kr = 2.0 * _EFFECTIVE_EARTH_RADIUS_M
    return (np.sqrt(two_kr * h) + np.sqrt(two_kr * h_ut_m)) / 1000.0


# --------------------------------------------------------------------------- station types


def n_resource_blocks(bandwidth_mhz: float, scs_khz: float) -> int:
    """Transmission bandwidth N_RB of an NR carrier (TS 38.101-1/-2 Table 5.3.2-1).

    Raises
    ------
    InputError
        For a bandwidth / subcarrier-spacing pair the tables do not define.

    Examples
    --------
    >>> n_resource_blocks(100, 30)
    273
    """
    key = (round(scs_khz), round(bandwidth_mhz))
    if key not in _N_RB or not (
        math.isclose(key[0], scs_khz) and math.isclose(key[1], bandwidth_mhz)
    ):
        known = sorted(bw for scs, bw in _N_RB if scs == key[0])
        msg = (
            f"no NR carrier of {bandwidth_mhz:g} MHz at {scs_khz:g} kHz SCS in TS 38.101; "
            f"bandwidths at that SCS: {known or 'none (use 15, 30, 60 or 120 kHz)'}"
        )
        raise InputError(msg)
    return _N_RB[key]


def _type_problem(values: Mapping[str, object]) -> str | None:
    """Why a station type's values cannot be used, or ``None``."""
    names = (
        "freq_ghz",
        "bandwidth_mhz",
        "scs_khz",
        "tx_power_dbm",
        "antenna_gain_dbi",
        "cable_loss_db",
        "height_m",
        "rsrp_threshold_dbm",
        "cost_myen",
    )
    num: dict[str, float] = {}
    for name in names:
        v = values[name]
        if isinstance(v, bool) or not isinstance(v, numbers.Real) or not math.isfinite(v):
            return f"{name} must be a finite number, got {v!r}"
        num[name] = float(v)
    if num["tx_power_dbm"] < 0:
        return (
            f"tx_power_dbm={num['tx_power_dbm']:g} is negative; give the total conducted "
            "power in dBm (e.g. 46 for 40 W)"
        )
    if num["height_m"] <= 0:
        return f"height_m={num['height_m']:g} must be positive [m]"
    if num["cost_myen"] < 0:
        return f"cost_myen={num['cost_myen']:g} must not be negative [million yen]"
    if num["cable_loss_db"] < 0:
        return f"cable_loss_db={num['cable_loss_db']:g} must not be negative [dB]"
    if not -160.0 <= num["rsrp_threshold_dbm"] <= -40.0:
        return (
            f"rsrp_threshold_dbm={num['rsrp_threshold_dbm']:g} is not an RSRP level; "
            "use -160 to -40 dBm"
        )
    for env in ("urban", "rural"):
        model = values[f"model_{env}"]
        if model not in PATH_LOSS_MODELS:
            return f"model_{env}={model!r} is not one of {sorted(PATH_LOSS_MODELS)}"
        lo, hi = PATH_LOSS_MODELS[str(model)]
        if not lo <= num["freq_ghz"] <= hi:
            return (
                f"freq_ghz={num['freq_ghz']:g} is outside the {str(model).upper()} range "
                f"{lo:g}-{hi:g} GHz (model_{env})"
            )
    try:
        n_resource_blocks(num["bandwidth_mhz"], num["scs_khz"])
    except InputError as exc:
        return str(exc)
    return None


@dataclass(frozen=True)
class StationType:
    """One kind of 5G base station and its transmit side of the link budget.

    Attributes
    ----------
    key
        Identifier used in the ``station_type`` column of station layers.
    label_en, label_ja
        Names for maps and reports.
    freq_ghz
        Carrier (centre) frequency [GHz].
    bandwidth_mhz
        NR channel bandwidth [MHz] of one carrier.
    scs_khz
        Subcarrier spacing of the SSB/data numerology [kHz].
    tx_power_dbm
        **Total** conducted transmit power of the sector, summed over all
        antenna ports and the whole carrier, at the antenna connector [dBm].
        Not per port, not EIRP.
    antenna_gain_dbi
        Antenna gain of the sector towards the UE [dBi] (for massive MIMO, the
        gain of one SSB beam).
    cable_loss_db
        Feeder and connector loss between transmitter and antenna [dB].
    height_m
        Default antenna height above ground [m]; a station's ``height_m``
        overrides it.
    rsrp_threshold_dbm
        Edge-of-coverage SS-RSRP [dBm per resource element].
    cost_myen
        Capital cost of one new site [million yen].
    cost_source
        How ``cost_myen`` was set.
    model_urban, model_rural
        TR 38.901 path-loss model (``rma``, ``uma`` or ``umi``) used in urban
        and in rural cells.

    EIRP = ``tx_power_dbm + antenna_gain_dbi - cable_loss_db``; the EIRP per
    resource element subtracts ``10 log10(12 N_RB)``.
    """

    key: str
    label_en: str
    label_ja: str
    freq_ghz: float
    bandwidth_mhz: float
    scs_khz: float
    tx_power_dbm: float
    antenna_gain_dbi: float
    cable_loss_db: float
    height_m: float
    rsrp_threshold_dbm: float
    cost_myen: float
    cost_source: str
    model_urban: str
    model_rural: str

    def __post_init__(self) -> None:
        problem = _type_problem({f.name: getattr(self, f.name) for f in fields(self)})
        if problem is not None:
            msg = f"station type {self.key!r}: {problem}"
            raise InputError(msg)

    @property
    def eirp_dbm(self) -> float:
        """Total EIRP of the sector [dBm]."""
        return self.tx_power_dbm + self.antenna_gain_dbi - self.cable_loss_db

    @property
    def n_re(self) -> int:
        """Resource elements across the carrier (12 N_RB)."""
        return 12 * n_resource_blocks(self.bandwidth_mhz, self.scs_khz)

    @property
    def eirp_per_re_dbm(self) -> float:
        """EIRP per resource element [dBm], power spread evenly over the carrier."""
        return self.eirp_dbm - 10.0 * math.log10(self.n_re)

    def model_for(self, environment: str) -> str:
        """Path-loss model key for ``"urban"`` or ``"rural"`` cells."""
        if environment == "urban":
            return self.model_urban
        if environment == "rural":
            return self.model_rural
        msg = f"environment must be 'urban' or 'rural', got {environment!r}"
        raise InputError(msg)


_SUBSIDY_NOTE = (
    "MIC grant for mobile area expansion in disadvantaged areas covers towers, cables and "
    "radio equipment at 1/2-2/3 of project cost (tele.soumu.go.jp/e/sys/fees/purpose/national)"
)

#: Built-in station types; see docs/radio.md for every assumption.
STATION_TYPES: dict[str, StationType] = {
    t.key: t
    for t in (
        StationType(
            key="nr700_macro",
            label_en="700 MHz NR macro",
            label_ja="700MHz帯 NRマクロ局",
            freq_ghz=0.78,
            bandwidth_mhz=10,
            scs_khz=15,
            tx_power_dbm=46.0,
            antenna_gain_dbi=15.0,
            cable_loss_db=2.0,
            height_m=35.0,
            rsrp_threshold_dbm=-110.0,
            cost_myen=30.0,
            cost_source=(
                "Modelled: new rural macro site = 40 m tower and civil works (~15), "
                "2T2R radio and antennas (~8), power and fibre backhaul (~7) million yen; "
                + _SUBSIDY_NOTE
            ),
            model_urban="uma",
            model_rural="rma",
        ),
        StationType(
            key="nr3700_macro",
            label_en="3.7 GHz NR macro (massive MIMO)",
            label_ja="3.7GHz帯 NRマクロ局(Massive MIMO)",
            freq_ghz=3.7,
            bandwidth_mhz=100,
            scs_khz=30,
            tx_power_dbm=53.0,
            antenna_gain_dbi=24.0,
            cable_loss_db=0.0,
            height_m=25.0,
            rsrp_threshold_dbm=-100.0,
            cost_myen=20.0,
            cost_source=(
                "Modelled: 64T64R active antenna unit (~10), baseband and installation on an "
                "existing tower or rooftop (~6), fibre backhaul (~4) million yen; no new tower"
            ),
            model_urban="uma",
            model_rural="rma",
        ),
        StationType(
            key="nr28g_small",
            label_en="28 GHz NR small cell",
            label_ja="28GHz帯 NRスモールセル",
            freq_ghz=28.0,
            bandwidth_mhz=400,
            scs_khz=120,
            tx_power_dbm=33.0,
            antenna_gain_dbi=27.0,
            cable_loss_db=0.0,
            height_m=10.0,
            rsrp_threshold_dbm=-105.0,
            cost_myen=5.0,
            cost_source=(
                "Modelled: integrated mmWave radio on street furniture or a wall (~3), "
                "installation, power and fibre drop (~2) million yen"
            ),
            model_urban="umi",
            model_rural="umi",
        ),
    )
}


def _optional(rec: Mapping[str, object], name: str, default: object) -> object:
    """A table value, or ``default`` when the column is absent or the cell empty."""
    value = rec.get(name)
    if value is None or (isinstance(value, float) and math.isnan(value)) or value == "":
        return default
    return str(value) if isinstance(default, str) else value


def station_types_from_table(
    table: pd.DataFrame, *, source: str = "station types table"
) -> dict[str, StationType]:
    """Custom station types from a table, one row per type.

    Required columns: ``key``, ``freq_ghz``, ``bandwidth_mhz``, ``scs_khz``,
    ``tx_power_dbm`` (total conducted power [dBm]), ``antenna_gain_dbi``,
    ``height_m``, ``rsrp_threshold_dbm``, ``cost_myen``, ``model_urban``,
    ``model_rural``. Optional: ``label_en`` (default the key), ``label_ja``
    (default ``label_en``), ``cable_loss_db`` (default 0), ``cost_source``
    (default ``""``). Merge with the built-ins as
    ``{**STATION_TYPES, **station_types_from_table(df)}``.

    Raises
    ------
    InputError
        Missing column, duplicate key or a bad value, naming ``source`` and the row.

    Examples
    --------
    >>> row = dict(key="lte800", freq_ghz=0.8, bandwidth_mhz=10, scs_khz=15,
    ...            tx_power_dbm=46, antenna_gain_dbi=15, height_m=30,
    ...            rsrp_threshold_dbm=-110, cost_myen=25, model_urban="uma",
    ...            model_rural="rma")
    >>> station_types_from_table(pd.DataFrame([row]))["lte800"].eirp_dbm
    61.0
    """
    required = [
        "key",
        "freq_ghz",
        "bandwidth_mhz",
        "scs_khz",
        "tx_power_dbm",
        "antenna_gain_dbi",
        "height_m",
        "rsrp_threshold_dbm",
        "cost_myen",
        "model_urban",
        "model_rural",
    ]
    missing = [c for c in required if c not in table.columns]
    if missing:
        msg = f"{source}: missing column(s) {missing}; see layers.radio.StationType"
        raise InputError(msg)
    out: dict[str, StationType] = {}
    numeric = [
        "freq_ghz",
        "bandwidth_mhz",
        "scs_khz",
        "tx_power_dbm",
        "antenna_gain_dbi",
        "cable_loss_db",
        "height_m",
        "rsrp_threshold_dbm",
        "cost_myen",
    ]
    for i, rec in enumerate(table.reset_index(drop=True).to_dict("records")):
        key = str(rec["key"]).strip()
        if not key or key in out:
            what = "is empty" if not key else f"{key!r} appears more than once"
            msg = f"{source}: row {i}: key {what}; give each type a unique key"
            raise InputError(msg)
        label_en = _optional(rec, "label_en", key)
        values: dict[str, object] = {
            "key": key,
            "label_en": label_en,
            "label_ja": _optional(rec, "label_ja", label_en),
            "cable_loss_db": _optional(rec, "cable_loss_db", 0.0),
            "cost_source": _optional(rec, "cost_source", ""),
            "model_urban": str(rec["model_urban"]).strip().lower(),
            "model_rural": str(rec["model_rural"]).strip().lower(),
        }
        for name in numeric:
            raw = values.get(name, rec.get(name))
            try:
                values[name] = float(raw)  # type: ignore[arg-type]
            except (TypeError, ValueError):
                values[name] = raw
        problem = _type_problem(values)
        if problem is not None:
            msg = f"{source}: row {i} ({key}): {problem}"
            raise InputError(msg)
        out[key] = StationType(**values)  # type: ignore[arg-type]
    return out


# --------------------------------------------------------------------------- link budget


@dataclass(frozen=True)
class LinkBudget:
    """The receiving side of the link budget.

    Attributes
    ----------
    ue_height_m
        UE antenna height [m] (default 1.5; must exceed 1 m for UMa/UMi).
    noise_figure_db
        UE noise figure [dB]; used for the SNR at the edge of coverage.
    indoor_penetration_db
        Building entry loss [dB]: 0 for outdoor coverage (default); 10-15 dB
        for indoor coverage with traditional buildings at sub-6 GHz.
    shadowing_margin_db
        Fade margin [dB] subtracted from the RSRP: 0 (default) gives the
        median-signal range; ``1.28 sigma_SF`` gives 90 % edge reliability.
    ue_antenna_gain_dbi
        UE antenna gain [dBi] (0 for a handset at sub-6 GHz).
    los_mode
        ``"nlos"`` (default, conservative), ``"los"``, or ``"expected"``
        (linear power weighted by the TR 38.901 LOS probability).
    """

    ue_height_m: float = 1.5
    noise_figure_db: float = 7.0
    indoor_penetration_db: float = 0.0
    shadowing_margin_db: float = 0.0
    ue_antenna_gain_dbi: float = 0.0
    los_mode: Literal["nlos", "los", "expected"] = "nlos"

    def __post_init__(self) -> None:
        checks = [
            (1.0 < self.ue_height_m <= 22.5, "ue_height_m must be in (1, 22.5] m"),
            (self.indoor_penetration_db >= 0, "indoor_penetration_db must be >= 0 dB"),
            (self.shadowing_margin_db >= 0, "shadowing_margin_db must be >= 0 dB"),
            (self.noise_figure_db >= 0, "noise_figure_db must be >= 0 dB"),
            (self.los_mode in LOS_MODES, f"los_mode must be one of {list(LOS_MODES)}"),
        ]
        for ok, what in checks:
            if not ok:
                msg = f"LinkBudget: {what} (got {self})"
                raise InputError(msg)

    @property
    def los(self) -> bool | None:
        """The ``los`` argument of the path-loss functions for this mode."""
        return {"nlos": False, "los": True, "expected": None}[self.los_mode]


def noise_per_re_dbm(scs_khz: float, noise_figure_db: float) -> float:
    """Thermal noise in one resource element [dBm]: ``-174 + 10 log10(SCS [Hz]) + NF``.

    Examples
    --------
    >>> round(noise_per_re_dbm(30, 7.0), 2)
    -122.23
    """
    return -174.0 + 10.0 * math.log10(scs_khz * 1e3) + noise_figure_db


def rsrp_dbm(
    distance_km: npt.ArrayLike,
    station_type: StationType,
    environment: str,
    *,
    budget: LinkBudget | None = None,
    height_m: npt.ArrayLike | None = None,
) -> FloatArray:
    """SS-RSRP [dBm per resource element] at a horizontal distance.

    ``RSRP = EIRP - 10 log10(12 N_RB) - PL(d) + G_UE - L_indoor - M_shadow``:
    the sector's total power is spread evenly over the carrier's resource
    elements at the band's subcarrier spacing.

    Parameters
    ----------
    distance_km
        Horizontal distance [km] (scalar or array).
    station_type
        The transmitting station type.
    environment
        ``"urban"`` or ``"rural"``; selects the type's path-loss model.
    budget
        Receiver side (default :class:`LinkBudget`).
    height_m
        Antenna height [m] overriding the type's default (scalar or array
        broadcasting with ``distance_km``).

    Examples
    --------
    >>> t = STATION_TYPES["nr3700_macro"]
    >>> round(float(rsrp_dbm(1.0, t, "urban")), 2)
    -100.3
    """
    budget = LinkBudget() if budget is None else budget
    model = station_type.model_for(environment)
    h = station_type.height_m if height_m is None else height_m
    d_m = np.asarray(distance_km, dtype=float) * 1000.0
    pl = path_loss(
        d_m,
        model=model,
        freq_ghz=station_type.freq_ghz,
        h_bs_m=h,
        h_ut_m=budget.ue_height_m,
        los=budget.los,
    )
    return (
        station_type.eirp_per_re_dbm
        - pl
        + budget.ue_antenna_gain_dbi
        - budget.indoor_penetration_db
        - budget.shadowing_margin_db
    )


def _reach_error(station_type: StationType, environment: str, budget: LinkBudget) -> InputError:
    msg = (
        f"station type {station_type.key!r} does not reach its threshold "
        f"{station_type.rsrp_threshold_dbm:g} dBm even at {MIN_DISTANCE_M:g} m in {environment} "
        f"cells with {budget}; raise its power or lower the threshold or margins"
    )
    return InputError(msg)


def coverage_radius_km(
    station_type: StationType,
    environment: str,
    *,
    budget: LinkBudget | None = None,
    height_m: float | None = None,
) -> float:
    """Distance [km] at which the RSRP falls to the type's threshold.

    Root-found with :func:`scipy.optimize.brentq` between 10 m and the radio
    horizon (:func:`radio_horizon_km`); when the RSRP is still above the
    threshold at the horizon, the horizon is returned.

    Raises
    ------
    InputError
        When the threshold is not reached even at 10 m.

    Examples
    --------
    >>> r = coverage_radius_km(STATION_TYPES["nr700_macro"], "rural")
    >>> 3.0 < r < 10.0
    True
    """
    budget = LinkBudget() if budget is None else budget
    h = station_type.height_m if height_m is None else float(height_m)
    threshold = station_type.rsrp_threshold_dbm

    def excess(d_km: float) -> float:
        return float(
            rsrp_dbm(d_km, station_type, environment, budget=budget, height_m=h) - threshold
        )

    lo = MIN_DISTANCE_M / 1000.0
    hi = float(radio_horizon_km(h, budget.ue_height_m))
    if excess(lo) < 0:
        raise _reach_error(station_type, environment, budget)
    if excess(hi) >= 0:
        logger.info(
            "%s in %s cells reaches the radio horizon %.1f km", station_type.key, environment, hi
        )
        return hi
    return float(brentq(excess, lo, hi, xtol=1e-12, rtol=4 * np.finfo(float).eps, maxiter=200))


def coverage_radii_km(
    station_type: StationType,
    environment: str,
    *,
    heights_m: npt.ArrayLike,
    budget: LinkBudget | None = None,
) -> FloatArray:
    """Coverage radii [km] for many antenna heights at once.

    The vectorised counterpart of :func:`coverage_radius_km`: bisection on
    log-distance, run to floating-point resolution, for every height together.

    Examples
    --------
    >>> t = STATION_TYPES["nr700_macro"]
    >>> r = coverage_radii_km(t, "rural", heights_m=[20.0, 35.0, 60.0])
    >>> bool(r[0] < r[1] < r[2])
    True
    """
    budget = LinkBudget() if budget is None else budget
    h = np.atleast_1d(np.asarray(heights_m, dtype=float))
    threshold = station_type.rsrp_threshold_dbm

    def excess(d_km: FloatArray) -> FloatArray:
        return rsrp_dbm(d_km, station_type, environment, budget=budget, height_m=h) - threshold

    lo = np.full(h.shape, np.log(MIN_DISTANCE_M / 1000.0))
    hi = np.log(radio_horizon_km(h, budget.ue_height_m))
    if (excess(np.exp(lo)) < 0).any():
        raise _reach_error(station_type, environment, budget)
    at_horizon = excess(np.exp(hi)) >= 0
    # 80 halvings take a bracket of ~10 e-folds far below one ulp of log-distance.
    for _ in range(80):
        mid = 0.5 * (lo + hi)
        ok = excess(np.exp(mid)) >= 0
        lo = np.where(ok, mid, lo)
        hi = np.where(ok, hi, mid)
    return np.where(at_horizon, np.exp(hi), np.exp(lo))


def site_radii_km(
    station_type: npt.ArrayLike,
    height_m: npt.ArrayLike | None = None,
    *,
    station_types: Mapping[str, StationType] | None = None,
    budget: LinkBudget | None = None,
) -> tuple[FloatArray, FloatArray]:
    """Urban and rural coverage radii [km] of many sites.

    Parameters
    ----------
    station_type
        Station-type key of each site.
    height_m
        Antenna height of each site [m]; NaN (or ``None`` for all) uses the
        type's default height.
    station_types
        Known types (default :data:`STATION_TYPES`).
    budget
        Link budget (default :class:`LinkBudget`).

    Returns
    -------
    radius_urban_km, radius_rural_km
        Arrays of one radius per site [km].

    Examples
    --------
    >>> ru, rr = site_radii_km(["nr700_macro", "nr28g_small"])
    >>> bool(rr[0] > ru[0] > ru[1])
    True
    """
    types = STATION_TYPES if station_types is None else station_types
    keys = np.atleast_1d(np.asarray(station_type, dtype=str))
    heights = (
        np.full(keys.shape, np.nan)
        if height_m is None
        else np.atleast_1d(np.asarray(height_m, dtype=float))
    )
    r_urban = np.empty(keys.shape)
    r_rural = np.empty(keys.shape)
    for key in map(str, np.unique(keys)):
        if key not in types:
            msg = f"unknown station_type {key!r}; known types: {sorted(types)}"
            raise InputError(msg)
        st = types[key]
        idx = np.flatnonzero(keys == key)
        h = np.where(np.isnan(heights[idx]), st.height_m, heights[idx])
        uniq, inverse = np.unique(h, return_inverse=True)
        for env, out in (("urban", r_urban), ("rural", r_rural)):
            out[idx] = coverage_radii_km(st, env, heights_m=uniq, budget=budget)[inverse]
    return r_urban, r_rural


def radius_table(
    types: Mapping[str, StationType] | Iterable[StationType] | None = None,
    *,
    budget: LinkBudget | None = None,
) -> pd.DataFrame:
    """One row per station type: its link budget and coverage radius per environment.

    Columns: ``key``, ``label_en``, ``label_ja``, ``freq_ghz``, ``bandwidth_mhz``,
    ``height_m``, ``eirp_dbm``, ``eirp_per_re_dbm``, ``rsrp_threshold_dbm``,
    ``edge_snr_db`` (SNR at the threshold), ``model_urban``,
    ``radius_urban_km``, ``model_rural``, ``radius_rural_km``, ``cost_myen``.

    Examples
    --------
    >>> radius_table()["key"].tolist()
    ['nr700_macro', 'nr3700_macro', 'nr28g_small']
    """
    budget = LinkBudget() if budget is None else budget
    if types is None:
        types = STATION_TYPES
    items = list(types.values()) if isinstance(types, Mapping) else list(types)
    rows = []
    for st in items:
        rows.append(
            {
                "key": st.key,
                "label_en": st.label_en,
                "label_ja": st.label_ja,
                "freq_ghz": st.freq_ghz,
                "bandwidth_mhz": st.bandwidth_mhz,
                "height_m": st.height_m,
                "eirp_dbm": st.eirp_dbm,
                "eirp_per_re_dbm": st.eirp_per_re_dbm,
                "rsrp_threshold_dbm": st.rsrp_threshold_dbm,
                "edge_snr_db": st.rsrp_threshold_dbm
                - noise_per_re_dbm(st.scs_khz, budget.noise_figure_db),
                "model_urban": st.model_urban,
                "radius_urban_km": coverage_radius_km(st, "urban", budget=budget),
                "model_rural": st.model_rural,
                "radius_rural_km": coverage_radius_km(st, "rural", budget=budget),
                "cost_myen": st.cost_myen,
            }
        )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- validation


def check_station_frame(
    stations: pd.DataFrame,
    *,
    source: str,
    station_types: Mapping[str, StationType] | None = None,
) -> None:
    """Check a stations or candidates layer against the radio model.

    The schema (columns, dtypes, point geometry) is checked by
    :func:`denen_gis.schema.validate_layer`; this adds what only the radio
    model knows.

    Raises
    ------
    InputError
        Naming ``source`` and the row: an unknown ``station_type`` (listing the
        known ones), ``height_m <= 0``, a station outside Japan
        (:data:`JAPAN_BOUNDS`), or ``radius_km <= 0``.
    """
    types = STATION_TYPES if station_types is None else station_types
    if "station_type" not in stations.columns:
        msg = f"{source}: missing column 'station_type'; known types: {sorted(types)}"
        raise InputError(msg)
    kinds = stations["station_type"].astype(str).to_numpy()
    unknown = ~np.isin(kinds, list(types))
    if unknown.any():
        i = int(np.flatnonzero(unknown)[0])
        msg = (
            f"{source}: row {i} has unknown station_type {kinds[i]!r}; "
            f"known types: {sorted(types)} (or supply your own with station_types_from_table)"
        )
        raise InputError(msg)
    for col, what in (("height_m", "antenna height"), ("radius_km", "coverage radius")):
        if col in stations.columns:
            v = pd.to_numeric(stations[col], errors="coerce").to_numpy(dtype=float)
            bad = v <= 0
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                msg = f"{source}: row {i} has {col}={v[i]:g}; the {what} must be positive"
                raise InputError(msg)
    if hasattr(stations, "geometry"):
        geom = stations.geometry
        lon = geom.x.to_numpy(dtype=float)
        lat = geom.y.to_numpy(dtype=float)
        w, s, e, n = JAPAN_BOUNDS
        outside = ~((lon >= w) & (lon <= e) & (lat >= s) & (lat <= n))
        if outside.any():
            i = int(np.flatnonzero(outside)[0])
            msg = (
                f"{source}: row {i} lies at ({lon[i]:g}, {lat[i]:g}), outside Japan "
                f"(lon {w:g}-{e:g}, lat {s:g}-{n:g}); check the coordinates and CRS"
            )
            raise InputError(msg)
