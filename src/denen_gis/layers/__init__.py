"""Layers: the radio model, coverage sets and coverage metrics."""

from denen_gis.layers.coverage import (BestServer, CoveragePairs, CoverageResult, best_server, compute_coverage, coverage_pairs, coverage_sets, pair_rsrp_dbm, site_coverage_matrix)
from denen_gis.layers.metrics import CoverageMetrics, coverage_metrics, gini
from denen_gis.layers.radio import (JAPAN_BOUNDS, LOS_MODES, MIN_DISTANCE_M, PATH_LOSS_MODELS, SPEED_OF_LIGHT_M_S, STATION_TYPES, LinkBudget, StationType, check_station_frame, coverage_radii_km, coverage_radius_km, los_probability, n_resource_blocks, noise_per_re_dbm, path_loss, path_loss_rma, path_loss_uma, path_loss_umi, radio_horizon_km, radius_table, rsrp_dbm, site_radii_km, station_types_from_table)

__all__ = [
    # coverage
    "BestServer", "CoveragePairs", "CoverageResult", "best_server", "compute_coverage",
    "coverage_pairs", "coverage_sets", "pair_rsrp_dbm", "site_coverage_matrix",
    # metrics
    "CoverageMetrics", "coverage_metrics", "gini",
    # radio
    "JAPAN_BOUNDS", "LOS_MODES", "MIN_DISTANCE_M", "PATH_LOSS_MODELS", "SPEED_OF_LIGHT_M_S",
    "STATION_TYPES", "LinkBudget", "StationType", "check_station_frame", "coverage_radii_km",
    "coverage_radius_km", "los_probability", "n_resource_blocks", "noise_per_re_dbm",
    "path_loss", "path_loss_rma", "path_loss_uma", "path_loss_umi", "radio_horizon_km",
    "radius_table", "rsrp_dbm", "site_radii_km", "station_types_from_table",
]
