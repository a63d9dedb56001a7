"""Range and combination checks of a scenario, with the TOML line of each key.

Kept apart from :mod:`denen_gis.scenario` (the dataclasses and loading) so that
each stays one concept: :func:`check_scenario` holds every rule a scenario must
meet, :class:`TomlLocator` finds the line a message points at.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import fields
from typing import Any

from denen_gis.errors import InputError

__all__ = [
    "BLOCKS",
    "MAX_COUNT",
    "MAX_INDOOR_DB",
    "MAX_MYEN",
    "MAX_RURAL_WEIGHT",
    "MAX_SITE_IDS",
    "MAX_SWEEP_POINTS",
    "MAX_WEIGHT_MS",
    "MAX_WORKERS",
    "MAX_WORK_LIMIT",
    "TomlLocator",
    "check_point_count",
    "check_scenario",
    "check_site_ids",
]

#: Regional blocks of the embedded prefecture layer.
BLOCKS = ("Hokkaido", "Tohoku", "Kanto", "Chubu", "Kinki", "Chugoku", "Shikoku", "Kyushu-Okinawa")
#: Largest money amount [million yen] a scenario may give (beyond any national budget).
MAX_MYEN = 1e9
#: Largest rural weight (larger ones overflow the solvers' scaled objectives).
MAX_RURAL_WEIGHT = 1e6
#: Largest work limit [units], about 11 days of solving on the reference machine.
MAX_WORK_LIMIT = 1e6
#: Largest data-centre criteria weight [ms]: far beyond any round-trip time, it
#: keeps CP-SAT's integer objective (0.01 ms x thousands of persons) in range.
MAX_WEIGHT_MS = 1e6
#: Largest building entry loss [dB]; far beyond any building's loss, it only
#: keeps the link budget finite.
MAX_INDOOR_DB = 100
#: Most solver threads.
MAX_WORKERS = 256
#: Most data centres or landing stations to choose.
MAX_COUNT = 1000
#: Most site ids an include / exclude list may hold.
MAX_SITE_IDS = 100_000


#: Most budgets or targets one sweep solves (each is a full solve).
MAX_SWEEP_POINTS = 200


def check_point_count(count: int, what: str) -> None:
    """Raise :class:`~denen_gis.errors.InputError` unless ``1 <= count <= MAX_SWEEP_POINTS``."""
    if count > MAX_SWEEP_POINTS:
        msg = (
            f"{what}: {count:,} points, at most {MAX_SWEEP_POINTS} per sweep (each is a "
            "full solve); use a larger step or fewer values"
        )
        raise InputError(msg)


def _show_ids(ids: Sequence[object], most: int = 5) -> str:
    """``'a', 'b', 'c'`` (at most ``most`` ids, then "and N more")."""
    shown = ", ".join(repr(str(i)) for i in ids[:most])
    return shown + (f" and {len(ids) - most:,} more" if len(ids) > most else "")


def site_id_problem(
    include: Sequence[object],
    exclude: Sequence[object],
    known: Iterable[object] | None = None,
    *,
    what: str = "candidate",
) -> tuple[str, str] | None:
    """The first problem of an include / exclude pair of site-id lists, or ``None``.

    Returns ``("include" | "exclude", problem)``: a list too long, ids listed
    twice, ids not among ``known`` (skipped when ``None``), ids in both lists.
    """
    for which, ids in (("include", include), ("exclude", exclude)):
        if len(ids) > MAX_SITE_IDS:
            return which, f"{len(ids):,} ids given, at most {MAX_SITE_IDS:,}"
        twice = [i for i, n in Counter(str(i) for i in ids).items() if n > 1]
        if twice:
            return which, f"{_show_ids(twice)} listed more than once; list each id once"
    if known is not None:
        names = {str(k) for k in known}
        for which, ids in (("include", include), ("exclude", exclude)):
            unknown = [str(i) for i in ids if str(i) not in names]
            if unknown:
                return which, (
                    f"{_show_ids(unknown)} not among the {len(names):,} {what} site ids; "
                    f"see the site_id column of the {what}s layer"
                )
    both = sorted({str(i) for i in include} & {str(i) for i in exclude})
    if both:
        return "exclude", f"{_show_ids(both)} both included and excluded; drop one"
    return None


def check_site_ids(
    include: Sequence[object],
    exclude: Sequence[object],
    *,
    known: Iterable[object] | None = None,
    source: str = "",
    command_line: bool = False,
) -> None:
    """Check the 5G ``include_sites`` / ``exclude_sites`` (every path calls this).

    Parameters
    ----------
    include, exclude
        The site ids as the user wrote them.
    known
        The candidate site ids of the run (``None``: skip the unknown-id check).
    source
        Scenario file the ids come from, put before the key.
    command_line
        Name the options ``--include-sites`` / ``--exclude-sites`` instead of
        the scenario keys ``fiveg.include_sites`` / ``fiveg.exclude_sites``.

    Raises
    ------
    InputError
        One line naming the key or option and at most five offending ids.
    """
    bad = site_id_problem(include, exclude, known)
    if bad is None:
        return
    which, problem = bad
    key = f"--{which}-sites" if command_line else f"fiveg.{which}_sites"
    raise InputError(f"{source}: {key}: {problem}" if source else f"{key}: {problem}")


class TomlLocator:
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


def _printable(text: str) -> bool:
    return not any(unicodedata.category(c) == "Cc" and c not in "\t\n" for c in text)


def _share(value: float | None) -> bool:
    return value is None or 0.0 <= value <= 1.0


def _check_finite(s: Any, where: TomlLocator) -> None:
    """Every float key is finite: TOML allows ``inf`` and ``nan``, no key here takes them."""
    sections = {
        "scenario": s.run,
        "radio": s.radio,
        "fiveg": s.fiveg,
        "datacenters": s.datacenters,
        "landings": s.landings,
    }
    for section, settings in sections.items():
        for f in fields(settings):
            value = getattr(settings, f.name)
            if isinstance(value, float) and not math.isfinite(value):
                raise where.fail(
                    section,
                    f.name,
                    f"must be a finite number, got {value} (inf/nan are not allowed)",
                )


def _weight(value: float) -> bool:
    """Whether a criteria weight [ms] is finite, >= 0 and at most ``MAX_WEIGHT_MS``."""
    return math.isfinite(value) and 0 <= value <= MAX_WEIGHT_MS


def check_scenario(s: Any, where: TomlLocator) -> None:
    """Check the ranges and combinations of a :class:`~denen_gis.scenario.Scenario`.

    Raises
    ------
    InputError
        From ``where.fail``: the file, the line and the key that is wrong.
    """
    run, f, dc, ld = s.run, s.fiveg, s.datacenters, s.landings
    _check_finite(s, where)
    checks: list[tuple[bool, str, str, str]] = [
        (run.workers >= 1, "scenario", "workers", "must be at least 1"),
        (run.time_limit_s > 0, "scenario", "time_limit_s", "must be positive"),
        (run.lang in ("en", "ja"), "scenario", "lang", "must be 'en' or 'ja'"),
        (0 <= run.seed < 2**31, "scenario", "seed", "must be between 0 and 2**31 - 1"),
        (run.workers <= MAX_WORKERS, "scenario", "workers", f"must be at most {MAX_WORKERS}"),
        (
            math.isfinite(run.time_limit_s),
            "scenario",
            "time_limit_s",
            "must be finite (seconds)",
        ),
        (
            run.work_limit is None
            or (math.isfinite(run.work_limit) and 0 < run.work_limit <= MAX_WORK_LIMIT),
            "scenario",
            "work_limit",
            f"must be a finite number of work units > 0 and at most {MAX_WORK_LIMIT:g} "
            "(or left out for the time limit)",
        ),
        (
            _printable(run.name),
            "scenario",
            "name",
            "must not hold control characters (NUL, escape, ...)",
        ),
        (
            _printable(run.description),
            "scenario",
            "description",
            "must not hold control characters (NUL, escape, ...)",
        ),
        (
            f.baseline in ("fy2021", "fy2022", "fy2023"),
            "fiveg",
            "baseline",
            "must be 'fy2021', 'fy2022' or 'fy2023'",
        ),
        (
            f.backtest_against in ("", "fy2022", "fy2023")
            and (not f.backtest_against or f.backtest_against > f.baseline),
            "fiveg",
            "backtest_against",
            "must be empty or a year after the baseline ('fy2022' or 'fy2023')",
        ),
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
            f.budget_myen is None or f.budget_myen < MAX_MYEN,
            "fiveg",
            "budget_myen",
            f"must be below {MAX_MYEN:.0e} million yen",
        ),
        (
            _share(f.target_national),
            "fiveg",
            "target_national",
            "must be a share between 0 and 1 (0.97 = 97%)",
        ),
        (
            _share(f.target_prefecture),
            "fiveg",
            "target_prefecture",
            "is a share between 0 and 1 (0.90 = 90%)",
        ),
        (_share(f.target_rural), "fiveg", "target_rural", "is a share between 0 and 1"),
        (
            0 < f.rural_weight <= MAX_RURAL_WEIGHT,
            "fiveg",
            "rural_weight",
            f"must be positive and at most {MAX_RURAL_WEIGHT:g}",
        ),
        (
            f.fairness_on in ("prefecture", "rural"),
            "fiveg",
            "fairness_on",
            "must be 'prefecture' or 'rural'",
        ),
        (1 <= dc.k <= MAX_COUNT, "datacenters", "k", f"must be between 1 and {MAX_COUNT}"),
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
            all(_weight(v) for v in dc.criteria().values()),
            "datacenters",
            next((f"weight_{k}_ms" for k, v in dc.criteria().items() if not _weight(v)), ""),
            f"criteria weights must be finite, >= 0 and at most {MAX_WEIGHT_MS:g} [ms]",
        ),
        (1 <= ld.count <= MAX_COUNT, "landings", "count", f"must be between 1 and {MAX_COUNT}"),
        (
            ld.cost_per_landing_myen >= 0,
            "landings",
            "cost_per_landing_myen",
            "must not be negative",
        ),
        (
            ld.cost_per_landing_myen < MAX_MYEN,
            "landings",
            "cost_per_landing_myen",
            f"must be below {MAX_MYEN:.0e} million yen",
        ),
        (
            1.0 < s.radio.ue_height_m <= 22.5,
            "radio",
            "ue_height_m",
            "must be above 1 m and at most 22.5 m (the range of the TR 38.901 models)",
        ),
        (
            0 <= s.radio.indoor_penetration_db < MAX_INDOOR_DB,
            "radio",
            "indoor_penetration_db",
            f"must be >= 0 and below {MAX_INDOOR_DB} dB",
        ),
        (s.radio.shadowing_margin_db >= 0, "radio", "shadowing_margin_db", "must not be negative"),
    ]
    for ok, section, key, problem in checks:
        if not ok:
            raise where.fail(section, key, problem)
    for section, given in (("fiveg", f), ("datacenters", dc)):
        bad = site_id_problem(given.include_sites, given.exclude_sites)
        if bad is None:
            continue
        which, problem = bad
        if section == "fiveg" and where.source == "command line":  # optimize 5g options
            raise InputError(f"--{which}-sites: {problem}")
        raise where.fail(section, f"{which}_sites", problem)
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
