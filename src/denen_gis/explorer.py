"""The site explorer: one offline page where a region tries its own 5G site choices.

:func:`build_explorer` prepares a region's inputs once (the population cells,
coverage today, every candidate site and the cells it would newly cover) and
solves the scenario's 5G model for the optimizer's plan; :func:`write_explorer`
writes the page (:mod:`denen_gis.render.explorer`). :func:`explorer_state` is
the Python model of the page's figures for a choice of sites: the page and
this function give the same numbers (people covered = people covered today +
the union of the chosen sites' cells).

Examples
--------
In Python (the region's inputs load in a few seconds; the plan is one solve)::

    from denen_gis.explorer import build_explorer, explorer_state, write_explorer
    data = build_explorer(prefectures=("32",))
    explorer_state(data, data.plan_site_ids)["coverage_pct"]
    write_explorer(data, "maps/shimane.html", lang="ja")
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from denen_gis.errors import InfeasibleError, InputError
from denen_gis.io.japan import municipality_table
from denen_gis.io.temporaries import output_target
from denen_gis.paths import refuse_special_file
from denen_gis.pipeline import PreparedRun, as_scenario, prepare_inputs
from denen_gis.render.explorer import GENERATOR, explorer_html, region_outlines
from denen_gis.scenario import Scenario

__all__ = [
    "ExplorerData",
    "build_explorer",
    "check_explorer_target",
    "explorer_payload",
    "explorer_state",
    "region_scenario",
    "scenario_head_toml",
    "write_explorer",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ExplorerData:
    """A region's cells, candidate sites and the optimizer's plan, ready for the page.

    Attributes
    ----------
    inputs
        The prepared run (cells, candidates, coverage today).
    matrix
        Cells x candidates coverage matrix (CSR, bool).
    plan_site_ids
        Site ids the optimizer chose for the scenario (empty when its targets
        cannot be met; ``plan_note`` says why).
    plan_note
        Empty, or why the optimizer's plan is empty.
    municipalities
        ``muni_code``, ``name_ja`` of the municipalities of the region's cells.
    """

    inputs: PreparedRun
    matrix: sp.csr_matrix
    plan_site_ids: tuple[str, ...]
    plan_note: str
    municipalities: pd.DataFrame

    @property
    def site_ids(self) -> list[str]:
        """Candidate site ids, in the order of the matrix columns."""
        return [str(s) for s in self.inputs.candidates["site_id"]]

    @property
    def covered_before_population(self) -> int:
        """People covered today [persons]."""
        pop = self.inputs.population
        return int(pop[self.inputs.covered_before].sum())


def region_scenario(
    scenario: Scenario | str | Path | None = None, *, prefectures: tuple[str, ...] = ()
) -> Scenario:
    """The scenario with its region replaced by ``prefectures`` when given."""
    s = as_scenario(scenario)
    if prefectures:
        s = replace(s, region=replace(s.region, prefectures=tuple(prefectures), blocks=()))
        s = replace(s, region=replace(s.region, sea_of_japan_coast=False))
    return s


def build_explorer(
    scenario: Scenario | str | Path | None = None, *, prefectures: tuple[str, ...] = ()
) -> ExplorerData:
    """Prepare a region's cells, candidates and the optimizer's plan for the explorer.

    Parameters
    ----------
    scenario
        A scenario (or TOML path); its inputs, radio settings, 5G objective and
        region are used. ``None`` is the default scenario.
    prefectures
        Prefecture codes or names that replace the scenario's region.
    """
    s = region_scenario(scenario, prefectures=prefectures)
    if s.region.is_national:
        msg = "explore: choose a region (--prefecture or a scenario with a [region])"
        raise InputError(msg)
    inputs = prepare_inputs(s)
    if not len(inputs.candidates):
        msg = f"explore: the region {inputs.region} has no candidate sites"
        raise InputError(msg)
    matrix = sp.csr_matrix(inputs.candidate_matrix(), dtype=bool)
    note = ""
    chosen: tuple[str, ...] = ()
    if s.fiveg.enabled:
        try:
            result = inputs.select(matrix)
            ids = inputs.candidates["site_id"].astype(str).to_numpy()
            chosen = tuple(ids[np.asarray(result.chosen, dtype=int)])
        except InfeasibleError as exc:
            note = str(exc)
            logger.warning("explore: no optimizer plan: %s", exc)
    munis = _municipalities(inputs)
    return ExplorerData(
        inputs=inputs,
        matrix=matrix,
        plan_site_ids=chosen,
        plan_note=note,
        municipalities=munis,
    )


def _municipalities(inputs: PreparedRun) -> pd.DataFrame:
    codes = sorted(set(_muni_codes(inputs)))
    names: dict[str, str] = {}
    try:
        table = municipality_table()
        names = dict(zip(table["muni_code"].astype(str), table["name_ja"].astype(str), strict=True))
    except (OSError, InputError) as exc:  # a user's own grid without the embedded table
        logger.info("explore: no municipality names: %s", exc)
    return pd.DataFrame({"muni_code": codes, "name_ja": [names.get(c, c) for c in codes]})


def _muni_codes(inputs: PreparedRun) -> np.ndarray:
    grid = inputs.grid
    if "muni_code" in grid.columns:
        return grid["muni_code"].astype(str).fillna("").to_numpy()
    return np.full(len(grid), "", dtype=object)


def explorer_state(data: ExplorerData, selected: list[str] | tuple[str, ...]) -> dict[str, Any]:
    """The page's figures for a choice of sites, computed by the Python model.

    Returns
    -------
    dict
        ``covered_population``, ``population`` [persons], ``coverage_pct`` [%],
        ``cost_myen`` [million yen], ``selected`` (site ids in candidate order)
        and ``unique_people`` (site id -> people only that chosen site covers).
    """
    ids = data.site_ids
    index = {sid: i for i, sid in enumerate(ids)}
    unknown = [s for s in selected if s not in index]
    if unknown:
        msg = f"explorer_state: unknown site id {unknown[0]!r}"
        raise InputError(msg)
    cols = sorted({index[s] for s in selected})
    before = data.inputs.covered_before
    pop = data.inputs.population.astype(np.int64)
    counts = np.zeros(len(pop), dtype=np.int64)
    if cols:
        counts = np.asarray(data.matrix[:, cols].sum(axis=1)).ravel()
    covered = before | (counts > 0)
    metrics = data.inputs.metrics(covered)
    costs = data.inputs.candidates["cost_myen"].to_numpy()
    only = (counts == 1) & ~before
    unique = {}
    for j in cols:
        cells = data.matrix[:, j].nonzero()[0]
        unique[ids[j]] = int(pop[cells][only[cells]].sum())
    return {
        "covered_population": int(metrics.covered_population),
        "population": int(metrics.population),
        "coverage_pct": float(metrics.coverage_pct),
        "cost_myen": float(sum(float(costs[j]) for j in cols)),
        "selected": [ids[j] for j in cols],
        "unique_people": unique,
    }


def _b64(array: np.ndarray, dtype: str) -> str:
    import base64

    return base64.b64encode(np.ascontiguousarray(array, dtype=dtype).tobytes()).decode("ascii")


def _cells_payload(data: ExplorerData) -> dict[str, Any]:
    from denen_gis.mesh import LEVEL_SIZE_DEG, mesh_indices

    grid = data.inputs.grid
    row, col, level = mesh_indices(grid["mesh_code"].astype(str).to_numpy())
    dlat, dlon = LEVEL_SIZE_DEG[level]
    row0, col0 = int(row.min()), int(col.min())
    munis = data.municipalities["muni_code"].tolist()
    muni_index = {c: i for i, c in enumerate(munis)}
    muni = np.array([muni_index[c] for c in _muni_codes(data.inputs)], dtype=np.int64)
    pref_codes = [str(c) for c in data.inputs.prefectures["code"]]
    pref_index = {c: i for i, c in enumerate(pref_codes)}
    pref = np.array([pref_index.get(c, 0) for c in data.inputs.pref_code], dtype=np.int64)
    pop = data.inputs.population.astype(np.int64)
    if pop.max(initial=0) > np.iinfo(np.int32).max:
        msg = "explore: a cell's population does not fit a 32-bit integer"
        raise InputError(msg)
    return {
        "n": len(grid),
        "dlat": dlat,
        "dlon": dlon,
        "row0": row0,
        "col0": col0,
        "row": _b64(row - row0, "<u4"),
        "col": _b64(col - col0, "<u4"),
        "pop": _b64(pop, "<i4"),
        "covered": _b64(data.inputs.covered_before, "u1"),
        "muni": _b64(muni, "<u2" if len(munis) < 65535 else "<u4"),
        "muni_wide": len(munis) >= 65535,
        "pref": _b64(pref, "u1"),
    }


def _sites_payload(data: ExplorerData) -> dict[str, Any]:
    cand = data.inputs.candidates
    before = data.inputs.covered_before
    csc = data.matrix.tocsc()
    offsets = [0]
    deltas: list[np.ndarray] = []
    for j in range(csc.shape[1]):
        cells = np.sort(csc.indices[csc.indptr[j] : csc.indptr[j + 1]])
        cells = cells[~before[cells]]
        # Delta-encoded sorted cell indices: small numbers, and the page decodes them once.
        deltas.append(np.diff(cells, prepend=0))
        offsets.append(offsets[-1] + len(cells))
    kind_col = "kind" if "kind" in cand.columns else "station_type"
    flat = np.concatenate(deltas) if deltas else np.zeros(0, dtype=np.int64)
    return {
        "id": cand["site_id"].astype(str).tolist(),
        "kind": cand[kind_col].astype(str).tolist(),
        "kind_column": kind_col,
        "cost": [float(c) for c in cand["cost_myen"]],
        "lat": [round(float(y), 5) for y in cand.geometry.y],
        "lon": [round(float(x), 5) for x in cand.geometry.x],
        "offsets": _b64(np.asarray(offsets), "<u4"),
        "cells": _b64(flat, "<u4"),
    }


def _toml_value(value: Any) -> str:
    import json

    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)


def scenario_head_toml(s: Scenario, *, name: str) -> str:
    """The exported scenario's fixed part: region, inputs, radio; models other than 5G off.

    The page appends the ``[fiveg]`` section with the chosen sites.

    Examples
    --------
    >>> from denen_gis.scenario import scenario_from_dict
    >>> head = scenario_head_toml(scenario_from_dict({"region": {"prefectures": ["32"]}}),
    ...                           name="Shimane")
    >>> import tomllib
    >>> tomllib.loads(head)["region"]["prefectures"], tomllib.loads(head)["resilience"]
    (['32'], False)
    """
    sections: list[tuple[str, dict[str, Any]]] = [
        ("scenario", {"name": name, "output": "maps/explorer_plan", "lang": s.run.lang}),
        (
            "region",
            {
                "blocks": list(s.region.blocks),
                "prefectures": list(s.region.prefectures),
                "sea_of_japan_coast": s.region.sea_of_japan_coast,
            },
        ),
    ]
    inputs = {k: str(p.resolve()) for k, p in vars(s.resolved_inputs()).items() if p is not None}
    if inputs:
        sections.append(("inputs", inputs))
    sections += [
        ("radio", dict(vars(s.radio))),
        ("datacenters", {"enabled": False}),
        ("landings", {"enabled": False}),
    ]
    lines = [
        "# Exported from the denen-gis site explorer: `denen-gis plan` on this file",
        "# builds exactly the chosen sites (every other candidate is excluded).",
        "resilience = false",
    ]
    for title, values in sections:
        lines += ["", f"[{title}]"]
        lines += [f"{k} = {_toml_value(v)}" for k, v in values.items()]
    return "\n".join(lines) + "\n"


def explorer_payload(data: ExplorerData) -> dict[str, Any]:
    """The page's embedded data: cells, sites, regions, the plan and the TOML head."""
    inputs = data.inputs
    prefs = inputs.prefectures
    s = inputs.scenario
    region_name = ", ".join(
        f"{n} ({c})" for c, n in zip(prefs["code"], prefs["name_en"], strict=True)
    )
    return {
        "cells": _cells_payload(data),
        "sites": _sites_payload(data),
        "prefs": [
            {"code": str(c), "name_ja": str(j), "name_en": str(e)}
            for c, j, e in zip(prefs["code"], prefs["name_ja"], prefs["name_en"], strict=True)
        ],
        "munis": [
            {"code": c, "name": n}
            for c, n in zip(
                data.municipalities["muni_code"], data.municipalities["name_ja"], strict=True
            )
        ],
        "plan": list(data.plan_site_ids),
        "plan_note": data.plan_note,
        "floors_pct": [90.0, 99.0],
        "region_name": region_name,
        "scenario_name": s.run.name,
        "toml_head": scenario_head_toml(s, name=f"Site explorer: {region_name}"),
    }


def check_explorer_target(
    path: str | Path,
    *,
    force: bool = False,
    protect: Iterable[str | Path | None] = (),
) -> Path:
    """Check, before any work, that the page may be written at ``path``.

    Parameters
    ----------
    path
        The page to write.
    force
        Replace an existing file that is not an explorer page.
    protect
        Files of the run (the scenario file, its inputs) that ``path`` must
        not be, with or without ``force``; ``None`` entries are skipped.

    Raises
    ------
    InputError
        ``path`` is a folder, an input of the run, or an existing file that is
        not an explorer page (and ``force`` is not set).
    """
    target = output_target(path)  # through a link its target; `sub/../x` is x
    refuse_special_file(path, hint="give an HTML file name (--out FILE.html)")
    if target.is_dir():
        msg = f"{path}: is a folder; give an HTML file name (--out FILE.html)"
        raise InputError(msg)
    if any(item is not None and output_target(item) == target for item in protect):
        msg = f"{path}: is an input of this run; choose another output file (--out FILE.html)"
        raise InputError(msg)
    if target.exists() and not force and not _is_explorer_page(target):
        msg = f"{path}: exists and is not an explorer page; use --force to replace it"
        raise InputError(msg)
    return target


def write_explorer(
    data: ExplorerData,
    path: str | Path,
    *,
    lang: str = "en",
    force: bool = False,
    protect: Iterable[str | Path | None] = (),
) -> Path:
    """Write the explorer page (one self-contained HTML file) atomically.

    Raises
    ------
    InputError
        ``path`` exists and is not a file denen-gis may replace (a folder, an
        input of the run in ``protect``, or any file without ``force``).
    """
    from denen_gis.io.files import write_text_atomic

    kept = (*data.inputs.scenario.input_files(), *protect)
    target = check_explorer_target(path, force=force, protect=kept)
    outlines = region_outlines(data.inputs.prefectures_all, data.inputs.prefectures)
    html = explorer_html(explorer_payload(data), outlines=outlines, lang=lang)
    target.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(target, html)
    logger.info("explore: wrote %s (%.1f MB)", target, target.stat().st_size / 1e6)
    return target


def _is_explorer_page(path: Path) -> bool:
    try:
        with path.open("rb") as f:
            head = f.read(4096)
    except OSError:
        return False
    return GENERATOR.encode() in head
