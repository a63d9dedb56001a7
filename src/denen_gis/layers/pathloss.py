"""3GPP TR 38.901 path loss (Table 7.4.1-1): RMa, UMa and UMi street canyon.

Pure functions on numpy arrays [dB]: LOS, NLOS (``max(LOS, NLOS formula)``) or
the LOS-probability-weighted expectation (:func:`los_probability`, Table
7.4.2-1), with the breakpoint distances of the standard. Distances below 10 m
are **clamped** to 10 m (the models' lower bound); distances beyond the upper
bound of a model (RMa LOS 10 km, RMa NLOS 5 km, UMa/UMi 5 km) are
**extrapolated** with the same formula. See ``docs/radio.md``.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from denen_gis.errors import InputError

__all__ = [
    "MIN_DISTANCE_M",
    "PATH_LOSS_MODELS",
    "SPEED_OF_LIGHT_M_S",
    "los_probability",
    "path_loss",
    "path_loss_rma",
    "path_loss_uma",
    "path_loss_umi",
    "radio_horizon_km",
]

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

# UMa effective environment height h_E [m]. TR 38.901 Note 1 draws h_E at random
# (1 m with probability 1/(1+C(d2D, h_UT)), else 12, 15, ... m), but C = 0 for
# h_UT <= 13 m, so h_E = 1 m is exact for ground-level users and a simplification
# only above 13 m.
_H_E_M = 1.0
# Effective Earth radius for the radio horizon: 4/3 of the mean radius [m].
_EFFECTIVE_EARTH_RADIUS_M = 4.0 / 3.0 * 6371.0088e3


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
