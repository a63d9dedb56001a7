"""5G station types: band, power, antenna, height, RSRP threshold and cost of each kind of site.

:class:`StationType` is the transmitting side of the link budget
(:mod:`denen_gis.layers.link_budget`); :data:`STATION_TYPES` holds the built-in
ones and :func:`station_types_from_table` reads custom ones.
:func:`check_station_frame` checks a stations or candidates layer against them.
See ``docs/radio.md`` for every assumption.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass, fields

import numpy as np
import pandas as pd

from denen_gis.errors import InputError
from denen_gis.layers.pathloss import (
    PATH_LOSS_MODELS,
)

__all__ = [
    "JAPAN_BOUNDS",
    "SSB_BEAM_GAIN_DB",
    "STATION_TYPES",
    "StationType",
    "check_station_frame",
    "n_resource_blocks",
    "station_types_from_table",
]

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
    problem = _range_problem(num) or _model_problem(values, num["freq_ghz"])
    if problem is not None:
        return problem
    try:
        n_resource_blocks(num["bandwidth_mhz"], num["scs_khz"])
    except InputError as exc:
        return str(exc)
    return None


def _range_problem(num: Mapping[str, float]) -> str | None:
    """Why a station type's numbers are out of range, or ``None``."""
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
    return None


def _model_problem(values: Mapping[str, object], freq_ghz: float) -> str | None:
    """Why a station type's path-loss models do not fit it, or ``None``."""
    for env in ("urban", "rural"):
        model = values[f"model_{env}"]
        if model not in PATH_LOSS_MODELS:
            return f"model_{env}={model!r} is not one of {sorted(PATH_LOSS_MODELS)}"
        lo, hi = PATH_LOSS_MODELS[str(model)]
        if not lo <= freq_ghz <= hi:
            return (
                f"freq_ghz={freq_ghz:g} is outside the {str(model).upper()} range "
                f"{lo:g}-{hi:g} GHz (model_{env})"
            )
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
        Antenna gain of the sector panel towards the UE [dBi], without beamforming.
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
    tx_ports
        Antenna ports the sector's power is split over for the SSB/reference
        signal of a non-beamformed site (RSRP is measured per port,
        TR 36.873 Sec. 8.1); 1 for a beamformed (massive MIMO) site, whose SSB
        beam carries the whole power.
    ssb_beam_gain_db
        Gain of one SSB beam over the sector panel [dB] (massive MIMO only;
        an assumption, see docs/radio.md); it adds to the downlink only.

    EIRP = ``tx_power_dbm + antenna_gain_dbi + ssb_beam_gain_db - cable_loss_db``;
    the EIRP per resource element and port subtracts ``10 log10(12 N_RB)`` and
    ``10 log10(tx_ports)``.
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
    tx_ports: int = 1
    ssb_beam_gain_db: float = 0.0

    def __post_init__(self) -> None:
        if not (isinstance(self.tx_ports, numbers.Integral) and 1 <= self.tx_ports <= 64):
            msg = (
                f"station type {self.key!r}: tx_ports must be an integer 1-64, "
                f"got {self.tx_ports!r}"
            )
            raise InputError(msg)
        if not (math.isfinite(self.ssb_beam_gain_db) and 0 <= self.ssb_beam_gain_db <= 20):
            msg = (
                f"station type {self.key!r}: ssb_beam_gain_db must be 0-20 dB, "
                f"got {self.ssb_beam_gain_db!r}"
            )
            raise InputError(msg)
        problem = _type_problem({f.name: getattr(self, f.name) for f in fields(self)})
        if problem is not None:
            msg = f"station type {self.key!r}: {problem}"
            raise InputError(msg)

    @property
    def eirp_dbm(self) -> float:
        """Total downlink EIRP of the sector (SSB beam) [dBm]."""
        return (
            self.tx_power_dbm + self.antenna_gain_dbi + self.ssb_beam_gain_db - self.cable_loss_db
        )

    @property
    def n_re(self) -> int:
        """Resource elements across the carrier (12 N_RB)."""
        return 12 * n_resource_blocks(self.bandwidth_mhz, self.scs_khz)

    @property
    def eirp_per_re_dbm(self) -> float:
        """EIRP per resource element and antenna port [dBm] (the RSRP reference)."""
        return self.eirp_dbm - 10.0 * math.log10(self.n_re) - 10.0 * math.log10(self.tx_ports)

    def model_for(self, environment: str) -> str:
        """Path-loss model key for ``"urban"`` or ``"rural"`` cells."""
        if environment == "urban":
            return self.model_urban
        if environment == "rural":
            return self.model_rural
        msg = f"environment must be 'urban' or 'rural', got {environment!r}"
        raise InputError(msg)


#: Gain of one SSB beam of a 64T64R massive-MIMO panel over the sector panel [dB].
#: ASSUMPTION (no source found, see docs/radio.md): 8 SSB beams sweep a sector at
#: 3-6 GHz (TS 38.213 Sec. 4.1), so each is at most ~10 log10(8) = 9 dB narrower than
#: the sector horizontally; 6 dB is taken, well below the +15 dB quoted for the
#: 64T64R data channel.
SSB_BEAM_GAIN_DB = 6.0

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
            tx_ports=2,
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
            antenna_gain_dbi=17.0,
            ssb_beam_gain_db=SSB_BEAM_GAIN_DB,
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
    (default ``""``), ``tx_ports`` (default 1), ``ssb_beam_gain_db`` (default 0).
    Merge with the built-ins as
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
            "tx_ports": int(_optional(rec, "tx_ports", 1)),  # type: ignore[call-overload]
            "ssb_beam_gain_db": float(_optional(rec, "ssb_beam_gain_db", 0.0)),  # type: ignore[arg-type]
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
