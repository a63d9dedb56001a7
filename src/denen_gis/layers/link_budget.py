"""Link budget: the receiving side, the RSRP at a distance and the radius at the threshold.

:class:`LinkBudget` is the receiving side (UE height, noise figure, indoor
penetration, shadowing margin, LOS mode); with a
:class:`~denen_gis.layers.station_types.StationType` it gives :func:`rsrp_dbm`,
and :func:`coverage_radius_km` solves for the distance at which the RSRP falls
to the station type's threshold (capped at the radio horizon of a 4/3 Earth).
See ``docs/radio.md``.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.optimize import brentq

from denen_gis.errors import InputError
from denen_gis.layers.pathloss import (
    MIN_DISTANCE_M,
    path_loss,
    radio_horizon_km,
)
from denen_gis.layers.station_types import STATION_TYPES, StationType

__all__ = [
    "LOS_MODES",
    "LinkBudget",
    "coverage_radii_km",
    "coverage_radius_km",
    "limiting_link",
    "noise_per_re_dbm",
    "radius_table",
    "rsrp_dbm",
    "site_radii_km",
    "uplink_margin_db",
]

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]

#: LOS modes of a link budget: always LOS, always NLOS, or LOS-probability-weighted.
LOS_MODES = ("nlos", "los", "expected")


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
    ue_tx_power_dbm
        UE maximum output power [dBm]: 23 (3GPP power class 3, the default
        class, TS 38.101-1/-3).
    ul_prbs
        Resource blocks a cell-edge UE transmits on (its power is spread
        over ``12 ul_prbs`` resource elements).
    ul_snr_min_db
        SNR per resource element the base station needs at the edge [dB].
    bs_noise_figure_db
        Base-station receiver noise figure [dB] (typical 2-4 dB).

    The uplink is received with the sector panel gain (no SSB beam gain);
    the radius is the smaller of the downlink and the uplink radius.
    """

    ue_height_m: float = 1.5
    noise_figure_db: float = 7.0
    indoor_penetration_db: float = 0.0
    shadowing_margin_db: float = 0.0
    ue_antenna_gain_dbi: float = 0.0
    los_mode: Literal["nlos", "los", "expected"] = "nlos"
    ue_tx_power_dbm: float = 23.0
    ul_prbs: int = 10
    ul_snr_min_db: float = 0.0
    bs_noise_figure_db: float = 3.0

    def __post_init__(self) -> None:
        checks = [
            (1.0 < self.ue_height_m <= 22.5, "ue_height_m must be in (1, 22.5] m"),
            (self.indoor_penetration_db >= 0, "indoor_penetration_db must be >= 0 dB"),
            (self.shadowing_margin_db >= 0, "shadowing_margin_db must be >= 0 dB"),
            (self.noise_figure_db >= 0, "noise_figure_db must be >= 0 dB"),
            (self.los_mode in LOS_MODES, f"los_mode must be one of {list(LOS_MODES)}"),
            (1 <= self.ul_prbs <= 275, "ul_prbs must be 1-275 resource blocks"),
            (self.bs_noise_figure_db >= 0, "bs_noise_figure_db must be >= 0 dB"),
        ]
        for ok, what in checks:
            if not ok:
                msg = f"LinkBudget: {what} (got {self})"
                raise InputError(msg)

    @property
    def basis(self) -> str:
        """How figures computed with this budget are to be read, e.g. ``"outdoor, median"``."""
        where = (
            "outdoor"
            if self.indoor_penetration_db == 0
            else f"indoor ({self.indoor_penetration_db:g} dB entry loss)"
        )
        signal = (
            "median"
            if self.shadowing_margin_db == 0
            else f"{self.shadowing_margin_db:g} dB shadowing margin"
        )
        return f"{where}, {signal}"

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
    link_budget: LinkBudget | None = None,
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
    link_budget
        Receiver side (default :class:`LinkBudget`).
    height_m
        Antenna height [m] overriding the type's default (scalar or array
        broadcasting with ``distance_km``).

    Examples
    --------
    >>> t = STATION_TYPES["nr3700_macro"]
    >>> round(float(rsrp_dbm(1.0, t, "urban")), 2)
    -101.3
    """
    link_budget = LinkBudget() if link_budget is None else link_budget
    model = station_type.model_for(environment)
    h = station_type.height_m if height_m is None else height_m
    d_m = np.asarray(distance_km, dtype=float) * 1000.0
    pl = path_loss(
        d_m,
        model=model,
        freq_ghz=station_type.freq_ghz,
        h_bs_m=h,
        h_ut_m=link_budget.ue_height_m,
        los=link_budget.los,
    )
    return (
        station_type.eirp_per_re_dbm
        - pl
        + link_budget.ue_antenna_gain_dbi
        - link_budget.indoor_penetration_db
        - link_budget.shadowing_margin_db
    )


def uplink_margin_db(
    distance_km: npt.ArrayLike,
    station_type: StationType,
    environment: str,
    *,
    link_budget: LinkBudget | None = None,
    height_m: npt.ArrayLike | None = None,
) -> FloatArray:
    """Uplink SNR per resource element above the required minimum [dB].

    ``P_UE - 10 log10(12 ul_prbs) + G_ant - L_cable - PL(d) - L_indoor - M_shadow
    - N_RE(gNB) - SNR_min``; positive where the UE is heard.

    Examples
    --------
    >>> t = STATION_TYPES["nr700_macro"]
    >>> bool(uplink_margin_db(1.0, t, "rural") > 0 > uplink_margin_db(30.0, t, "rural"))
    True
    """
    link_budget = LinkBudget() if link_budget is None else link_budget
    h = station_type.height_m if height_m is None else height_m
    pl = path_loss(
        np.asarray(distance_km, dtype=float) * 1000.0,
        model=station_type.model_for(environment),
        freq_ghz=station_type.freq_ghz,
        h_bs_m=h,
        h_ut_m=link_budget.ue_height_m,
        los=link_budget.los,
    )
    rx_per_re = (
        link_budget.ue_tx_power_dbm
        - 10.0 * math.log10(12 * link_budget.ul_prbs)
        + link_budget.ue_antenna_gain_dbi
        + station_type.antenna_gain_dbi
        - station_type.cable_loss_db
        - pl
        - link_budget.indoor_penetration_db
        - link_budget.shadowing_margin_db
    )
    noise = noise_per_re_dbm(station_type.scs_khz, link_budget.bs_noise_figure_db)
    return rx_per_re - noise - link_budget.ul_snr_min_db


def _excess_db(
    d_km: npt.ArrayLike,
    station_type: StationType,
    environment: str,
    link_budget: LinkBudget,
    h: npt.ArrayLike,
) -> FloatArray:
    """The smaller of the downlink RSRP excess and the uplink SNR margin [dB]."""
    down = (
        rsrp_dbm(d_km, station_type, environment, link_budget=link_budget, height_m=h)
        - station_type.rsrp_threshold_dbm
    )
    up = uplink_margin_db(d_km, station_type, environment, link_budget=link_budget, height_m=h)
    return np.minimum(down, up)


def limiting_link(
    station_type: StationType, environment: str, *, link_budget: LinkBudget | None = None
) -> str:
    """``"downlink"`` or ``"uplink"``: which link sets the type's radius."""
    link_budget = LinkBudget() if link_budget is None else link_budget
    r = coverage_radius_km(station_type, environment, link_budget=link_budget)
    down = rsrp_dbm(r, station_type, environment, link_budget=link_budget)
    up = uplink_margin_db(r, station_type, environment, link_budget=link_budget)
    return "uplink" if float(up) < float(down - station_type.rsrp_threshold_dbm) else "downlink"


def _reach_error(
    station_type: StationType, environment: str, link_budget: LinkBudget
) -> InputError:
    msg = (
        f"station type {station_type.key!r} does not reach its threshold "
        f"{station_type.rsrp_threshold_dbm:g} dBm even at {MIN_DISTANCE_M:g} m in {environment} "
        f"cells with {link_budget}; raise its power or lower the threshold or margins"
    )
    return InputError(msg)


def coverage_radius_km(
    station_type: StationType,
    environment: str,
    *,
    link_budget: LinkBudget | None = None,
    height_m: float | None = None,
) -> float:
    """Distance [km] at which the RSRP falls to the type's threshold or the uplink fails.

    The radius is the smaller of the downlink radius (RSRP per port at the
    threshold) and the uplink radius (:func:`uplink_margin_db` at 0).

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
    link_budget = LinkBudget() if link_budget is None else link_budget
    h = station_type.height_m if height_m is None else float(height_m)

    def excess(d_km: float) -> float:
        return float(_excess_db(d_km, station_type, environment, link_budget, h))

    lo = MIN_DISTANCE_M / 1000.0
    hi = float(radio_horizon_km(h, link_budget.ue_height_m))
    if excess(lo) < 0:
        raise _reach_error(station_type, environment, link_budget)
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
    link_budget: LinkBudget | None = None,
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
    link_budget = LinkBudget() if link_budget is None else link_budget
    h = np.atleast_1d(np.asarray(heights_m, dtype=float))

    def excess(d_km: FloatArray) -> FloatArray:
        return _excess_db(d_km, station_type, environment, link_budget, h)

    lo = np.full(h.shape, np.log(MIN_DISTANCE_M / 1000.0))
    hi = np.log(radio_horizon_km(h, link_budget.ue_height_m))
    if (excess(np.exp(lo)) < 0).any():
        raise _reach_error(station_type, environment, link_budget)
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
    link_budget: LinkBudget | None = None,
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
    link_budget
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
            out[idx] = coverage_radii_km(st, env, heights_m=uniq, link_budget=link_budget)[inverse]
    return r_urban, r_rural


def radius_table(
    types: Mapping[str, StationType] | Iterable[StationType] | None = None,
    *,
    link_budget: LinkBudget | None = None,
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
    link_budget = LinkBudget() if link_budget is None else link_budget
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
                - noise_per_re_dbm(st.scs_khz, link_budget.noise_figure_db),
                "model_urban": st.model_urban,
                "radius_urban_km": coverage_radius_km(st, "urban", link_budget=link_budget),
                "model_rural": st.model_rural,
                "radius_rural_km": coverage_radius_km(st, "rural", link_budget=link_budget),
                "limited_by_rural": limiting_link(st, "rural", link_budget=link_budget),
                "basis": link_budget.basis,
                "cost_myen": st.cost_myen,
            }
        )
    return pd.DataFrame(rows)
