"""One sparse MIP in, one solution out: the OR-Tools engines behind every model.

Models build their constraint matrix as a :class:`scipy.sparse.csr_matrix` and
hand it over whole (``ModelBuilderHelper.fill_model_from_sparse_data``), so the
build costs one pass over the covering pairs instead of a Python call per
coefficient. SCIP and HiGHS run through ``model_builder``; CBC, which
``model_builder`` does not offer, runs through ``pywraplp`` on the same model
proto. See ``docs/optimization.md`` for the measurements behind the default.
"""

from __future__ import annotations

import logging
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from ortools.linear_solver.python import model_builder_helper as mbh

from denen_gis.errors import InputError
from denen_gis.optimize import effort

__all__ = ["ENGINES", "MipSolution", "solve_mip"]

log = logging.getLogger(__name__)

#: Engines that :func:`solve_mip` accepts; the first is the default.
ENGINES = ("SCIP", "HIGHS", "CBC")

_STATUS = {
    "OPTIMAL": "OPTIMAL",
    "FEASIBLE": "FEASIBLE",
    "INFEASIBLE": "INFEASIBLE",
    "UNBOUNDED": "UNBOUNDED",
}


@dataclass(frozen=True)
class MipSolution:
    """Raw answer of one MIP solve (values are ``None`` when none was found)."""

    values: np.ndarray | None
    objective: float
    best_bound: float
    status: str
    wall_time_s: float
    engine: str


def _params(
    engine: str, *, seed: int, workers: int, rel_gap: float, nodes: int | None = None
) -> str:
    if engine == "SCIP":
        # SCIP runs one thread; its seed shift makes runs repeatable per seed.
        # catchctrlc off: SCIP would otherwise swallow Ctrl-C, end the solve early
        # and let the run go on; the CLI stops the run itself.
        node_limit = "" if nodes is None else f"limits/totalnodes = {int(nodes)}\n"
        return (
            f"randomization/randomseedshift = {int(seed)}\nlimits/gap = {rel_gap!r}\n"
            f"misc/catchctrlc = FALSE\n{node_limit}"
        )
    if engine == "HIGHS":
        # output_flag: library code never prints, and HiGHS writes its banner to stdout
        node_limit = "" if nodes is None else f"\nmip_max_nodes={int(nodes)}"
        return (
            f"random_seed={int(seed)}\nthreads={int(workers)}\nmip_rel_gap={rel_gap!r}\n"
            f"output_flag=false\nlog_to_console=false{node_limit}"
        )
    return ""


def solve_mip(  # noqa: PLR0913 -- solver API: the model's options are keyword-only parameters
    matrix: sp.csr_matrix,
    *,
    row_lb: np.ndarray,
    row_ub: np.ndarray,
    var_lb: np.ndarray,
    var_ub: np.ndarray,
    objective: np.ndarray,
    integer: np.ndarray,
    maximize: bool,
    hint: np.ndarray | None = None,
    engine: str = "SCIP",
    time_limit_s: float = 60.0,
    seed: int = 0,
    workers: int = 1,
    rel_gap: float = 1e-4,
) -> MipSolution:
    """Solve ``opt objective @ v`` s.t. ``row_lb <= matrix @ v <= row_ub``, bounds, integrality.

    Parameters
    ----------
    matrix
        Constraint matrix (rows x variables).
    row_lb, row_ub, var_lb, var_ub, objective
        Bounds and objective coefficients (``-inf``/``inf`` for free).
    integer
        Boolean mask of integer variables.
    maximize
        Direction of the objective.
    hint
        Optional full assignment used as a starting solution (SCIP and CBC use it).
    engine
        ``"SCIP"``, ``"HIGHS"`` or ``"CBC"``.
    time_limit_s
        Limit on the model clock: seconds, or on a work clock
        (:mod:`denen_gis.optimize.effort`) work units, which become a node
        limit (SCIP, HiGHS) and are charged whole.
    seed, workers
        Random seed and thread count (where the engine has them).
    rel_gap
        Relative gap at which the search stops.
    """
    engine = engine.upper()
    if engine not in ENGINES:
        msg = f"engine={engine!r} is not one of {', '.join(ENGINES)}; pick one of those"
        raise InputError(msg)
    n_var = matrix.shape[1]
    model = mbh.ModelBuilderHelper()
    model.fill_model_from_sparse_data(
        np.asarray(var_lb, dtype=np.float64),
        np.asarray(var_ub, dtype=np.float64),
        np.asarray(objective, dtype=np.float64),
        np.asarray(row_lb, dtype=np.float64),
        np.asarray(row_ub, dtype=np.float64),
        sp.csr_matrix(matrix, dtype=np.float64),
    )
    model.set_maximize(maximize)
    for i in np.flatnonzero(integer):
        model.set_var_integrality(int(i), True)
    # OR-Tools 9.15's HiGHS interface crashes (SIGSEGV) on a solution hint, so HiGHS
    # starts cold; the models still keep the greedy answer if HiGHS finds worse.
    if hint is not None and engine != "HIGHS":
        for i in range(n_var):
            model.add_hint(i, float(hint[i]))
    if engine == "CBC":
        if effort.current() is not None:
            msg = "engine='CBC' has no work limit here; use 'SCIP' or 'HIGHS' with work_limit"
            raise InputError(msg)
        return _solve_cbc(model, n_var, time_limit_s=time_limit_s, rel_gap=rel_gap)
    solver = mbh.ModelSolverHelper(engine.lower())
    wall_limit = effort.solver_wall_limit(time_limit_s)
    solver.set_time_limit_in_seconds(max(wall_limit, 0.01))
    nodes = effort.mip_node_limit(time_limit_s, matrix.nnz)
    solver.set_solver_specific_parameters(
        _params(engine, seed=seed, workers=workers, rel_gap=rel_gap, nodes=nodes)
    )
    start = time.perf_counter()
    with effort.phase("mip"):
        solver.solve(model)
        wall = time.perf_counter() - start
        _charge_work(time_limit_s, wall, wall_limit)
    status = _STATUS.get(solver.status().name, solver.status().name)
    if status in ("INVALID_SOLVER_PARAMETERS", "MODEL_INVALID", "INCOMPATIBLE_OPTIONS"):
        msg = f"{engine} rejected the model or its parameters: {status}"
        raise RuntimeError(msg)
    if solver.has_solution():
        values = np.asarray(solver.variable_values(), dtype=np.float64)
        obj = float(solver.objective_value())
        bound = float(solver.best_objective_bound())
    else:
        values, obj, bound = None, float("nan"), float("nan")
    log.debug("%s: %s objective %.6g bound %.6g in %.2f s", engine, status, obj, bound, wall)
    return MipSolution(values, obj, bound, status, wall, engine)


def _charge_work(units: float, wall_s: float, wall_limit_s: float) -> None:
    """On a work clock: charge the MIP's share, and note when the safety ceiling stopped it."""
    clock = effort.current()
    if clock is None:
        return
    effort.charge(max(float(units), 0.0))
    if wall_s >= 0.98 * wall_limit_s:
        clock.stopped_by_time_limit = True


def _solve_cbc(
    model: mbh.ModelBuilderHelper, n_var: int, *, time_limit_s: float, rel_gap: float
) -> MipSolution:
    from ortools.linear_solver import linear_solver_pb2, pywraplp

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.pb"
        model.write_model_to_proto_file(str(path))
        proto = linear_solver_pb2.MPModelProto()
        proto.ParseFromString(path.read_bytes())
    solver = pywraplp.Solver.CreateSolver("CBC")
    solver.LoadModelFromProto(proto)
    solver.SetTimeLimit(max(int(time_limit_s * 1000), 10))
    params = pywraplp.MPSolverParameters()
    params.SetDoubleParam(params.RELATIVE_MIP_GAP, rel_gap)
    start = time.perf_counter()
    code = solver.Solve(params)
    wall = time.perf_counter() - start
    names = {
        pywraplp.Solver.OPTIMAL: "OPTIMAL",
        pywraplp.Solver.FEASIBLE: "FEASIBLE",
        pywraplp.Solver.INFEASIBLE: "INFEASIBLE",
        pywraplp.Solver.UNBOUNDED: "UNBOUNDED",
    }
    status = names.get(code, "NOT_SOLVED")
    if status in ("OPTIMAL", "FEASIBLE"):
        variables = solver.variables()
        values = np.array([v.solution_value() for v in variables[:n_var]], dtype=np.float64)
        obj = float(solver.Objective().Value())
        bound = float(solver.Objective().BestBound())
    else:
        values, obj, bound = None, float("nan"), float("nan")
    return MipSolution(values, obj, bound, status, wall, "CBC")
