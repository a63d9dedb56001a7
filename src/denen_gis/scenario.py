"""Scenario files: what a planning run does, as frozen, validated dataclasses.

A scenario is a TOML file (documented field by field in ``docs/scenarios.md``;
annotated examples in ``scenarios/``). Loading checks every key once: an
unknown key, a wrong type or an impossible value raises
:class:`~denen_gis.errors.InputError` naming the file, the key and its line.
TOML is data only, so nothing in a scenario can execute code.

Examples
--------
>>> s = scenario_from_dict({"scenario": {"name": "demo"}, "fiveg": {"budget_myen": 5000}})
>>> s.fiveg.objective, s.fiveg.budget_myen
('min-cost', 5000.0)
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from denen_gis.errors import InputError
from denen_gis.paths import refuse_special_file
from denen_gis.scenario_checks import (
    BLOCKS,
    MAX_COUNT,
    MAX_MYEN,
    MAX_RURAL_WEIGHT,
    MAX_WORKERS,
    TomlLocator,
    check_scenario,
)

__all__ = [
    "BLOCKS",
    "MAX_COUNT",
    "MAX_MYEN",
    "MAX_RURAL_WEIGHT",
    "MAX_WORKERS",
    "DatacenterSettings",
    "FiveGSettings",
    "InputFiles",
    "LandingSettings",
    "RadioSettings",
    "RegionFilter",
    "ResolvedInputs",
    "RunSettings",
    "Scenario",
    "fy2030_scenario",
    "load_scenario",
    "read_scenario_file",
    "scenario_from_dict",
    "scenario_from_mapping",
    "validate_scenario",
]


@dataclass(frozen=True)
class RunSettings:
    """``[scenario]``: name, solver limits, output folder and language."""

    name: str = "FY2025 national targets"
    description: str = ""
    seed: int = 0
    workers: int = 1
    time_limit_s: float = 60.0
    work_limit: float | None = None
    output: str = "maps/plan"
    lang: str = "en"


@dataclass(frozen=True)
class InputFiles:
    """``[inputs]``: paths to the user's files, as written; empty means the embedded dataset.

    Relative paths are resolved against the scenario file's folder by
    :meth:`Scenario.resolved_inputs`.
    """

    population: str = ""
    stations: str = ""
    candidates: str = ""
    prefectures: str = ""
    datacenters: str = ""
    cables: str = ""
    landing_points: str = ""


@dataclass(frozen=True)
class ResolvedInputs:
    """The ``[inputs]`` of a scenario resolved against its folder (checked to exist).

    ``None`` means the embedded dataset. Built once per run by
    :meth:`Scenario.resolved_inputs`, which has checked that every path exists.
    """

    population: Path | None = None
    stations: Path | None = None
    candidates: Path | None = None
    prefectures: Path | None = None
    datacenters: Path | None = None
    cables: Path | None = None
    landing_points: Path | None = None


@dataclass(frozen=True)
class RegionFilter:
    """``[region]``: the whole country, or blocks, prefectures, the Sea of Japan coast
    and municipalities (codes or Japanese names; a designated city selects its
    wards). The filters add up (union).
    """

    blocks: tuple[str, ...] = ()
    prefectures: tuple[str, ...] = ()
    sea_of_japan_coast: bool = False
    municipalities: tuple[str, ...] = ()

    @property
    def is_national(self) -> bool:
        """True when no filter is set."""
        return not (
            self.blocks or self.prefectures or self.sea_of_japan_coast or self.municipalities
        )

    @property
    def has_prefecture_filter(self) -> bool:
        """True when blocks, prefectures or the Sea of Japan coast are set."""
        return bool(self.blocks or self.prefectures or self.sea_of_japan_coast)


@dataclass(frozen=True)
class RadioSettings:
    """``[radio]``: link-budget assumptions shared by every station type."""

    ue_height_m: float = 1.5
    indoor_penetration_db: float = 0.0
    shadowing_margin_db: float = 0.0


@dataclass(frozen=True)
class FiveGSettings:
    """``[fiveg]``: the 5G site-selection model.

    ``objective`` is ``coverage`` (most people for the budget), ``min-cost``
    (cheapest way to the targets) or ``fairness`` (raise the worst prefecture,
    or the rural share, first). Targets are shares in [0, 1]. ``baseline`` is
    the modelled network the plan starts from: ``fy2021``, ``fy2022`` or
    ``fy2023`` (end of that fiscal year, calibrated to MIC's coverage);
    ``backtest_against`` (e.g. ``fy2023``) compares the plan's per-prefecture
    gains with MIC's figures of that later year.
    """

    enabled: bool = True
    objective: str = "min-cost"
    baseline: str = "fy2023"
    backtest_against: str = ""
    budget_myen: float | None = None
    target_national: float | None = 0.97
    target_prefecture: float | None = 0.90
    target_rural: float | None = None
    rural_weight: float = 1.0
    fairness_on: str = "prefecture"
    include_sites: tuple[str, ...] = ()
    exclude_sites: tuple[str, ...] = ()


@dataclass(frozen=True)
class DatacenterSettings:
    """``[datacenters]``: regional data-centre siting."""

    enabled: bool = True
    k: int = 13
    objective: str = "median"
    max_per_block: int | None = 3
    include_sites: tuple[str, ...] = ()
    exclude_sites: tuple[str, ...] = ()
    # The policy's criteria [ms of mean RTT per unit badness]; defaults:
    # denen_gis.optimize.dc_criteria.DEFAULT_CRITERIA_MS (docs/infrastructure.md).
    weight_hazard_ms: float = 0.30
    weight_cooling_ms: float = 0.15
    weight_renewable_ms: float = 0.15
    weight_land_ms: float = 0.10
    weight_landing_ms: float = 0.15

    def criteria(self) -> dict[str, float]:
        """The criteria weights by name, as ``plan_datacenters(criteria=...)`` takes them."""
        return {
            "hazard": self.weight_hazard_ms,
            "cooling": self.weight_cooling_ms,
            "renewable": self.weight_renewable_ms,
            "land": self.weight_land_ms,
            "landing": self.weight_landing_ms,
        }


@dataclass(frozen=True)
class LandingSettings:
    """``[landings]``: landing stations on the Sea of Japan cable."""

    enabled: bool = True
    count: int = 5
    cost_per_landing_myen: float = 3000.0


@dataclass(frozen=True)
class Scenario:
    """A whole scenario; ``base_dir`` is the folder relative paths start from.

    Each attribute is one TOML section; ``run`` holds the ``[scenario]`` section
    (name, solver limits, output folder, language).
    """

    run: RunSettings = field(default_factory=RunSettings)
    inputs: InputFiles = field(default_factory=InputFiles)
    region: RegionFilter = field(default_factory=RegionFilter)
    radio: RadioSettings = field(default_factory=RadioSettings)
    fiveg: FiveGSettings = field(default_factory=FiveGSettings)
    datacenters: DatacenterSettings = field(default_factory=DatacenterSettings)
    landings: LandingSettings = field(default_factory=LandingSettings)
    resilience: bool = True
    base_dir: str = "."
    source: str = "<defaults>"

    def resolve(self, path: str) -> Path | None:
        """An input path resolved against :attr:`base_dir` (None when empty)."""
        if not path:
            return None
        p = Path(path).expanduser()
        return p if p.is_absolute() else Path(self.base_dir) / p

    def resolved_inputs(self) -> ResolvedInputs:
        """Every ``[inputs]`` path resolved against :attr:`base_dir`, checked to exist.

        Raises
        ------
        InputError
            A path that does not exist, naming the TOML key and the path.
        """
        paths: dict[str, Path | None] = {}
        for f in fields(InputFiles):
            path = self.resolve(getattr(self.inputs, f.name))
            if path is not None:
                refuse_special_file(path, key=f"{self.source}: inputs.{f.name}: ")
            if path is not None and not path.exists():
                msg = f"{self.source}: inputs.{f.name}: {path}: file not found; check the path"
                raise InputError(msg)
            paths[f.name] = path
        return ResolvedInputs(**paths)

    def input_files(self) -> tuple[Path, ...]:
        """The scenario file and every ``[inputs]`` path given (outputs must not hold them)."""
        files = [Path(self.source)] if Path(self.source).is_file() else []
        for f in fields(InputFiles):
            path = self.resolve(getattr(self.inputs, f.name))
            if path is not None:
                files.append(path)
        return tuple(files)

    def with_budget(self, budget_myen: float) -> Scenario:
        """A copy with another 5G budget (used by budget sweeps)."""
        return replace(self, fiveg=replace(self.fiveg, budget_myen=float(budget_myen)))

    def to_dict(self) -> dict[str, Any]:
        """The scenario as plain data (echoed into ``plan.json``)."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            key = _SECTION_OF_FIELD.get(f.name, f.name)
            if hasattr(value, "__dataclass_fields__"):
                out[key] = {g.name: _plain(getattr(value, g.name)) for g in fields(value)}
            else:
                out[key] = value
        return out


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


_SECTIONS: dict[str, type] = {
    "scenario": RunSettings,
    "inputs": InputFiles,
    "region": RegionFilter,
    "radio": RadioSettings,
    "fiveg": FiveGSettings,
    "datacenters": DatacenterSettings,
    "landings": LandingSettings,
}
#: The TOML section of each :class:`Scenario` attribute whose name differs from it.
_SECTION_OF_FIELD = {"run": "scenario"}
_FIELD_OF_SECTION = {v: k for k, v in _SECTION_OF_FIELD.items()}


def _check_type(value: Any, annotation: str) -> Any:
    """Coerce a TOML value to the field's declared type or raise TypeError."""
    optional = annotation.endswith("| None")
    base = annotation.replace(" | None", "")
    if value is None and optional:
        return None
    if base == "str":
        if not isinstance(value, str):
            raise TypeError("a string")
        return value
    if base == "bool":
        if not isinstance(value, bool):
            raise TypeError("true or false")
        return value
    if base == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError("a whole number")
        return value
    if base == "float":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TypeError("a number")
        return float(value)
    if base == "tuple[str, ...]":
        if not isinstance(value, list) or not all(isinstance(v, str | int) for v in value):
            raise TypeError("a list of strings")
        return tuple(str(v) for v in value)
    raise TypeError(f"a {base}")


def _build_section(cls: type, data: Any, section: str, where: TomlLocator) -> Any:
    if not isinstance(data, dict):
        raise where.fail(None, section, "must be a table ([" + section + "])")
    known = {f.name: f for f in fields(cls)}
    kwargs = {}
    for key, value in data.items():
        if key not in known:
            hint = ", ".join(sorted(known))
            raise where.fail(section, key, f"unknown key; the keys of [{section}] are {hint}")
        try:
            kwargs[key] = _check_type(value, str(known[key].type))
        except TypeError as exc:
            raise where.fail(section, key, f"must be {exc}, got {value!r}") from None
    return cls(**kwargs)


def fy2030_scenario() -> Scenario:
    """The default run of ``denen-gis plan`` and ``denen_gis.plan()``: FY2030 from FY2023.

    99% nationally and in every prefecture, least cost, 15 regional data
    centres (as in ``scenarios/fy2030_national.toml``), writing to ``maps/plan``.
    The solvers stop on a work limit of 60 units (about a minute on the
    reference machine; 300 s is only a safety ceiling), so the plan is the
    same on any machine.
    :class:`Scenario` itself keeps the FY2025 targets as the defaults of the keys
    a TOML file leaves out.

    Examples
    --------
    >>> s = fy2030_scenario()
    >>> (s.fiveg.target_national, s.fiveg.target_prefecture, s.fiveg.baseline)
    (0.99, 0.99, 'fy2023')
    """
    s = Scenario()
    return replace(
        s,
        run=replace(
            s.run,
            name="FY2030 national targets",
            description="Cheapest set of 5G upgrades and new towers that reaches 99% "
            "nationally and in every prefecture, from the FY2023 baseline.",
            # stopped by work, not by the clock: the same plan on any machine
            work_limit=60.0,
            time_limit_s=300.0,
        ),
        fiveg=replace(
            s.fiveg,
            objective="min-cost",
            baseline="fy2023",
            target_national=0.99,
            target_prefecture=0.99,
        ),
        datacenters=replace(s.datacenters, k=15),
    )


def scenario_from_dict(
    data: dict[str, Any], *, source: str = "<scenario>", text: str = "", base_dir: str = "."
) -> Scenario:
    """Build and validate a :class:`Scenario` from parsed TOML data."""
    where = TomlLocator(text, source)
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        if key in _SECTIONS:
            kwargs[_FIELD_OF_SECTION.get(key, key)] = _build_section(
                _SECTIONS[key], value, key, where
            )
        elif key == "resilience":
            if isinstance(value, dict):
                unknown = [k for k in value if k != "enabled"]
                if unknown:
                    raise where.fail("resilience", unknown[0], "unknown key; use enabled")
                value = value.get("enabled", True)
            if not isinstance(value, bool):
                raise where.fail(None, "resilience", f"must be true or false, got {value!r}")
            kwargs["resilience"] = value
        else:
            known = ", ".join([*_SECTIONS, "resilience"])
            raise where.fail(None, key, f"unknown section or key; the sections are {known}")
    scenario = Scenario(**kwargs, base_dir=base_dir, source=source)
    check_scenario(scenario, where)
    return scenario


def validate_scenario(scenario: Scenario) -> Scenario:
    """Check a scenario built or edited in Python (``dataclasses.replace`` skips the checks).

    The scenario goes through the same type and range checks as a TOML file:
    a string budget, ``workers=0`` or a string where a tuple of names belongs
    is an :class:`InputError` naming the key. Returns the checked scenario
    (lists given for tuples become tuples).

    Examples
    --------
    >>> from dataclasses import replace
    >>> s = Scenario()
    >>> validate_scenario(replace(s, run=replace(s.run, workers=0)))
    Traceback (most recent call last):
    ...
    denen_gis.errors.InputError: <defaults>: scenario.workers: must be at least 1
    """
    if not isinstance(scenario, Scenario):
        msg = f"expected a Scenario, got {type(scenario).__name__}"
        raise InputError(msg)
    data = {k: v for k, v in scenario.to_dict().items() if k not in ("base_dir", "source")}
    return scenario_from_dict(data, source=scenario.source, base_dir=scenario.base_dir)


def scenario_from_mapping(data: Mapping[str, Any], *, base_dir: str = ".") -> Scenario:
    """Build and validate a scenario from a mapping laid out as the TOML file."""
    plain = {k: dict(v) if isinstance(v, Mapping) else v for k, v in data.items()}
    return scenario_from_dict(plain, source="<mapping>", base_dir=base_dir)


def read_scenario_file(path: str | Path) -> tuple[dict[str, Any], str]:
    """Parse a scenario TOML file into ``(data, text)`` without validating it.

    Raises
    ------
    InputError
        Missing or unreadable file, not UTF-8, or a TOML syntax error (with its line).
    """
    p = Path(path)
    refuse_special_file(p)
    try:
        # utf-8-sig: a byte-order mark (Windows Notepad) is dropped, not a syntax error.
        text = p.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        msg = f"{p}: scenario file not found"
        raise InputError(msg) from None
    except IsADirectoryError:
        msg = f"{p}: is a folder; give the path of a scenario .toml file"
        raise InputError(msg) from None
    except (OSError, UnicodeDecodeError) as exc:
        msg = f"{p}: cannot read the scenario ({exc}); save it as UTF-8 TOML"
        raise InputError(msg) from None
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as exc:
        msg = f"{p}: not valid TOML: {exc}"
        raise InputError(msg) from None
    except RecursionError:
        msg = f"{p}: not valid TOML: arrays or tables nested too deeply"
        raise InputError(msg) from None


def load_scenario(path: str | Path) -> Scenario:
    """Load and validate a scenario TOML file.

    Raises
    ------
    InputError
        Missing file, TOML syntax error (with its line), unknown key, wrong
        type or impossible value (with the key and its line).
    """
    p = Path(path)
    data, text = read_scenario_file(p)
    return scenario_from_dict(data, source=str(p), text=text, base_dir=str(p.parent.resolve()))
