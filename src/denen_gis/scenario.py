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

import re
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from denen_gis.errors import InputError

__all__ = [
    "BLOCKS",
    "DatacenterSettings",
    "FiveGSettings",
    "InputFiles",
    "LandingSettings",
    "RadioSettings",
    "RegionFilter",
    "ResolvedInputs",
    "RunSettings",
    "Scenario",
    "load_scenario",
    "read_scenario_file",
    "scenario_from_dict",
]

#: Regional blocks of the embedded prefecture layer.
BLOCKS = ("Hokkaido", "Tohoku", "Kanto", "Chubu", "Kinki", "Chugoku", "Shikoku", "Kyushu-Okinawa")


@dataclass(frozen=True)
class RunSettings:
    """``[scenario]``: name, solver limits, output folder and language."""

    name: str = "FY2025 national targets"
    description: str = ""
    seed: int = 0
    workers: int = 1
    time_limit_s: float = 60.0
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
    """``[region]``: the whole country, blocks, prefectures or the Sea of Japan coast."""

    blocks: tuple[str, ...] = ()
    prefectures: tuple[str, ...] = ()
    sea_of_japan_coast: bool = False

    @property
    def is_national(self) -> bool:
        """True when no filter is set."""
        return not (self.blocks or self.prefectures or self.sea_of_japan_coast)


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
    or the rural share, first). Targets are shares in [0, 1].
    """

    enabled: bool = True
    objective: str = "min-cost"
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
            if path is not None and not path.exists():
                msg = f"{self.source}: inputs.{f.name}: {path}: file not found; check the path"
                raise InputError(msg)
            paths[f.name] = path
        return ResolvedInputs(**paths)

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


class _Where:
    """Finds the line of a key in the TOML text, for error messages."""

    def __init__(self, text: str, source: str) -> None:
        self.lines = text.splitlines()
        self.source = source

    def line(self, section: str | None, key: str) -> int | None:
        current = None
        for n, raw in enumerate(self.lines, start=1):
            line = raw.strip()
            header = re.match(r"^\[([A-Za-z0-9_.-]+)\]", line)
            if header:
                current = header.group(1)
                if section is not None and key == "" and current == section:
                    return n
                continue
            if (current == section or (section is None and current is None)) and re.match(
                rf"^{re.escape(key)}\s*=", line
            ):
                return n
        return None

    def fail(self, section: str | None, key: str, problem: str) -> InputError:
        name = f"{section}.{key}" if section else key
        n = self.line(section, key)
        at = f", line {n}" if n else ""
        return InputError(f"{self.source}{at}: {name}: {problem}")


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


def _build_section(cls: type, data: Any, section: str, where: _Where) -> Any:
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


def _share(value: float | None) -> bool:
    return value is None or 0.0 <= value <= 1.0


def _validate(s: Scenario, where: _Where) -> None:
    run, f, dc, ld = s.run, s.fiveg, s.datacenters, s.landings
    both = set(f.include_sites) & set(f.exclude_sites)
    checks: list[tuple[bool, str, str, str]] = [
        (run.workers >= 1, "scenario", "workers", "must be at least 1"),
        (run.time_limit_s > 0, "scenario", "time_limit_s", "must be positive"),
        (run.lang in ("en", "ja"), "scenario", "lang", "must be 'en' or 'ja'"),
        (run.seed >= 0, "scenario", "seed", "must be 0 or more"),
        (
            f.objective in ("coverage", "min-cost", "fairness"),
            "fiveg",
            "objective",
            "must be 'coverage', 'min-cost' or 'fairness'",
        ),
        (
            f.budget_myen is None or f.budget_myen >= 0,
            "fiveg",
            "budget_myen",
            "must not be negative",
        ),
        (
            _share(f.target_national),
            "fiveg",
            "target_national",
            "is a share between 0 and 1 (0.97 = 97%); a target above 100% cannot be met",
        ),
        (
            _share(f.target_prefecture),
            "fiveg",
            "target_prefecture",
            "is a share between 0 and 1 (0.90 = 90%)",
        ),
        (_share(f.target_rural), "fiveg", "target_rural", "is a share between 0 and 1"),
        (f.rural_weight > 0, "fiveg", "rural_weight", "must be positive"),
        (
            f.fairness_on in ("prefecture", "rural"),
            "fiveg",
            "fairness_on",
            "must be 'prefecture' or 'rural'",
        ),
        (
            not both,
            "fiveg",
            "exclude_sites",
            f"sites both included and excluded: {sorted(both)}",
        ),
        (dc.k >= 1, "datacenters", "k", "must be at least 1"),
        (
            dc.objective in ("median", "center"),
            "datacenters",
            "objective",
            "must be 'median' or 'center'",
        ),
        (
            dc.max_per_block is None or dc.max_per_block >= 1,
            "datacenters",
            "max_per_block",
            "must be at least 1",
        ),
        (
            all(v >= 0 for v in dc.criteria().values()),
            "datacenters",
            next((f"weight_{k}_ms" for k, v in dc.criteria().items() if v < 0), "weight_hazard_ms"),
            "criteria weights must be >= 0 [ms]",
        ),
        (ld.count >= 1, "landings", "count", "must be at least 1"),
        (
            ld.cost_per_landing_myen >= 0,
            "landings",
            "cost_per_landing_myen",
            "must not be negative",
        ),
        (
            1.0 < s.radio.ue_height_m <= 22.5,
            "radio",
            "ue_height_m",
            "must be above 1 m and at most 22.5 m (the range of the TR 38.901 models)",
        ),
        (
            s.radio.indoor_penetration_db >= 0,
            "radio",
            "indoor_penetration_db",
            "must not be negative",
        ),
        (s.radio.shadowing_margin_db >= 0, "radio", "shadowing_margin_db", "must not be negative"),
    ]
    for ok, section, key, problem in checks:
        if not ok:
            raise where.fail(section, key, problem)
    if f.enabled and f.objective in ("coverage", "fairness") and f.budget_myen is None:
        raise where.fail(
            "fiveg", "budget_myen", f"objective {f.objective!r} needs a budget in million yen"
        )
    if (
        f.enabled
        and f.objective == "min-cost"
        and all(t is None for t in (f.target_national, f.target_prefecture, f.target_rural))
    ):
        raise where.fail("fiveg", "objective", "'min-cost' needs at least one target")
    unknown_blocks = [b for b in s.region.blocks if b not in BLOCKS]
    if unknown_blocks:
        raise where.fail(
            "region", "blocks", f"unknown block {unknown_blocks[0]!r}; one of {', '.join(BLOCKS)}"
        )


def scenario_from_dict(
    data: dict[str, Any], *, source: str = "<scenario>", text: str = "", base_dir: str = "."
) -> Scenario:
    """Build and validate a :class:`Scenario` from parsed TOML data."""
    where = _Where(text, source)
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
    _validate(scenario, where)
    return scenario


def read_scenario_file(path: str | Path) -> tuple[dict[str, Any], str]:
    """Parse a scenario TOML file into ``(data, text)`` without validating it.

    Raises
    ------
    InputError
        Missing or unreadable file, not UTF-8, or a TOML syntax error (with its line).
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
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
