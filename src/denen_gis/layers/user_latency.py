"""The round trip a user would recognise: radio access + backbone + exchange detour.

Three figures, population-weighted over the demand groups:

- ``backbone_only_ms``: the fibre RTT from the user's mesh cell to the nearest
  data centre (:class:`~denen_gis.layers.network.LatencyModel`: propagation,
  per-link equipment, fixed edge term), the figure the rest of the tool uses;
- ``via_exchange_ms``: the same, but through the nearest **core exchange**
  (hubs with ``exchange == "core"``: Tokyo, Osaka), where traffic between
  carriers and to most data centres is handed over: cell -> hub -> exchange ->
  nearest DC from there;
- ``user_ms`` = ``radio_ms`` + ``via_exchange_ms``, with ``radio_ms`` the 5G
  radio access round trip: twice the ITU-R M.2410 minimum user-plane latency
  for eMBB, 4 ms one way (a target, not a measurement: measured NSA networks
  show < 7 ms one way downlink at best and about 18 ms uplink at worst; see
  ``data/SOURCES.md``).

All are lower bounds (no queuing, no congestion).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import networkx as nx
import numpy as np
import pandas as pd
from scipy.sparse import csgraph

from denen_gis.errors import InputError
from denen_gis.layers.network import LatencyModel, graph_to_arrays, nearest_rtt_ms

__all__ = ["RADIO_ONE_WAY_MS", "UserLatency", "user_round_trip"]

#: 5G radio access, one way [ms]: the ITU-R M.2410 eMBB user-plane minimum.
RADIO_ONE_WAY_MS = 4.0


@dataclass(frozen=True)
class UserLatency:
    """Population-weighted round-trip figures [ms]; see the module docstring."""

    radio_ms: float
    backbone_only_ms: float
    via_exchange_ms: float
    user_ms: float

    def to_dict(self) -> dict[str, float]:
        """Plain values, each named for what it holds."""
        return {
            "radio_ms": self.radio_ms,
            "backbone_only_ms": self.backbone_only_ms,
            "via_exchange_ms": self.via_exchange_ms,
            "user_ms": self.user_ms,
        }


def user_round_trip(
    graph: nx.Graph,
    demand: pd.DataFrame,
    *,
    sites: Sequence[str],
    latency: LatencyModel | None = None,
    radio_one_way_ms: float = RADIO_ONE_WAY_MS,
) -> UserLatency:
    """User round trip to the nearest DC, with and without the exchange detour.

    Parameters
    ----------
    graph
        Backbone with hubs (``exchange`` attribute) and DC nodes.
    demand
        Demand groups (``node``, ``population``, ``local_ms``) from
        :func:`~denen_gis.layers.network.demand_groups`.
    sites
        Open DC site ids.
    radio_one_way_ms
        5G radio access latency, one way [ms].

    Raises
    ------
    InputError
        No core exchange or no open DC in the graph, or a negative radio latency.
    """
    latency = latency or LatencyModel()
    if not radio_one_way_ms >= 0:
        msg = f"radio_one_way_ms must be >= 0, got {radio_one_way_ms}"
        raise InputError(msg)
    arrays = graph_to_arrays(graph, latency=latency)
    cores = [n for n, d in graph.nodes(data=True) if d.get("exchange") == "core"]
    if not cores or not sites:
        msg = "user latency needs at least one core exchange hub and one open DC"
        raise InputError(msg)
    core_idx = arrays.indices(cores, "core exchanges")
    dc_idx = arrays.indices([f"dc:{s}" for s in sites], "sites")
    to_dc, _ = nearest_rtt_ms(arrays, dc_idx, fixed_ms=0.0)
    to_core = csgraph.dijkstra(arrays.matrix(), directed=False, indices=core_idx)
    via = (to_core + to_dc[core_idx][:, None]).min(axis=0)
    node = arrays.indices(demand["node"].astype(str), "demand")
    local = demand["local_ms"].to_numpy(dtype=float)
    pop = demand["population"].to_numpy(dtype=float)
    ok = np.isfinite(to_dc[node]) & np.isfinite(via[node]) & (pop > 0)
    if not ok.any():
        msg = "no demand group reaches a data centre"
        raise InputError(msg)

    def mean(x: np.ndarray) -> float:
        return round(
            float(((x[node] + local + latency.fixed_ms) * pop)[ok].sum() / pop[ok].sum()), 3
        )

    backbone_ms = mean(to_dc)
    via_ms = mean(via)
    radio_ms = 2.0 * radio_one_way_ms
    return UserLatency(
        radio_ms=radio_ms,
        backbone_only_ms=backbone_ms,
        via_exchange_ms=via_ms,
        user_ms=round(radio_ms + via_ms, 3),
    )
