"""Layers: the radio model, coverage sets and coverage metrics."""

from denen_gis.layers.coverage import *  # noqa: F403
from denen_gis.layers.coverage import __all__ as _coverage_all
from denen_gis.layers.metrics import *  # noqa: F403
from denen_gis.layers.metrics import __all__ as _metrics_all
from denen_gis.layers.radio import *  # noqa: F403
from denen_gis.layers.radio import __all__ as _radio_all

__all__ = [*_coverage_all, *_metrics_all, *_radio_all]
