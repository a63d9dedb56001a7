"""5G radio model: station types and link budgets over 3GPP TR 38.901 path loss.

The path-loss functions live in :mod:`denen_gis.layers.pathloss` and are
re-exported here; on top of them:

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
from denen_gis.layers.pathloss import (
    MIN_DISTANCE_M,
    PATH_LOSS_MODELS,
    SPEED_OF_LIGHT_M_S,
    los_probability,
    path_loss,
    path_loss_rma,
    path_loss_uma,
    path_loss_umi,
    radio_horizon_km,
)

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

#: LOS modes of a link budget: always LOS, always NLOS, or LOS-probability-weighted.
LOS_MODES = ("nlos", "los", "expected")
#: Bounding box (west, south, east, north) [degrees] that every Japanese station lies in.
JAPAN_BOUNDS = (122.0, 20.0, 154.0, 46.5)

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
