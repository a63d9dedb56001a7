"""5G radio model: station types and link budgets over 3GPP TR 38.901 path loss.

This module gathers the radio model's public names from
:mod:`denen_gis.layers.pathloss` (path loss), :mod:`denen_gis.layers.station_types`
(station types) and :mod:`denen_gis.layers.link_budget` (RSRP and radii):

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

from denen_gis.layers.link_budget import (
    LOS_MODES,
    LinkBudget,
    coverage_radii_km,
    coverage_radius_km,
    noise_per_re_dbm,
    radius_table,
    rsrp_dbm,
    site_radii_km,
)
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
from denen_gis.layers.station_types import (
    JAPAN_BOUNDS,
    STATION_TYPES,
    StationType,
    check_station_frame,
    n_resource_blocks,
    station_types_from_table,
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
