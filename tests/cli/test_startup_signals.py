"""Signals during startup exit 130/143 with one line (issue 16: nothing lost, ever).

The handlers are installed by the entry function before typer, rich and the
command modules are imported, so a SIGTERM or Ctrl-C while they load is not
the default disposition (rc -15) or a KeyboardInterrupt traceback.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
COMMAND = [sys.executable, "-m", "denen_gis", "data", "info"]
CASES = [(signal.SIGINT, 130, "interrupted"), (signal.SIGTERM, 143, "terminated")]

pytestmark = pytest.mark.skipif(
    os.name != "posix" or not hasattr(signal, "SIGTERM"), reason="POSIX signals"
)


def _catches_sigterm(pid: int) -> bool | None:
    """Whether the process has a handler for SIGTERM (Linux /proc), None if unknown."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("SigCgt:"):
            return bool(int(line.split()[1], 16) >> (signal.SIGTERM - 1) & 1)
    return None


def _signal_and_wait(proc: subprocess.Popen, signum: int) -> tuple[int, str]:
    try:
        proc.send_signal(signum)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return proc.returncode, err


def _popen() -> subprocess.Popen:
    return subprocess.Popen(
        COMMAND,
        env=ENV,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.parametrize("delay", [0.3, 0.5])
@pytest.mark.parametrize(("signum", "code", "word"), CASES)
def test_a_signal_while_the_cli_loads_exits_with_one_line(signum, code, word, delay):
    """Fixed delays after Popen: the command modules are still loading then."""
    proc = _popen()
    time.sleep(delay)
    if proc.poll() is not None:
        pytest.skip("the command finished before the signal")
    if _catches_sigterm(proc.pid) is False:  # a very loaded machine: Python itself still starting
        proc.kill()
        proc.wait()
        pytest.skip(f"the interpreter took over {delay} s to start (the documented early window)")
    rc, err = _signal_and_wait(proc, signum)
    assert (rc, err) == (code, f"denen-gis: {word}\n")


@pytest.mark.parametrize("delay", [0.0, 0.05, 0.15, 0.3])
@pytest.mark.parametrize(("signum", "code", "word"), CASES)
def test_a_signal_right_after_the_handlers_are_in_exits_with_one_line(signum, code, word, delay):
    """Delays counted from the moment the process catches SIGTERM (seen in /proc)."""
    proc = _popen()
    deadline = time.monotonic() + 10
    while not (caught := _catches_sigterm(proc.pid)) and proc.poll() is None:
        if caught is None or time.monotonic() > deadline:
            proc.kill()
            proc.wait()
            pytest.skip("cannot see the process's signal handlers in /proc")
        time.sleep(0.002)
    time.sleep(delay)
    if proc.poll() is not None:
        pytest.skip("the command finished before the signal")
    rc, err = _signal_and_wait(proc, signum)
    assert (rc, err) == (code, f"denen-gis: {word}\n")


def test_the_console_script_is_the_function_python_m_runs():
    import denen_gis.__main__ as entry

    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    module, _, name = scripts["denen-gis"].partition(":")
    assert (module, name) == ("denen_gis.__main__", "main")
    assert getattr(entry, name) is entry.main
    # `python -m denen_gis` runs the same function: __main__.py ends by calling it.
    source = Path(entry.__file__).read_text()
    assert 'if __name__ == "__main__":\n    sys.exit(main())' in source


def test_importing_the_package_stays_light():
    code = (
        "import sys, denen_gis, denen_gis.__main__; "
        "heavy = {'typer', 'rich', 'numpy', 'importlib.metadata', 'denen_gis.cli'}; "
        "print(sorted(heavy & set(sys.modules)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=ENV, capture_output=True, text=True, timeout=60
    )
    assert done.stdout.strip() == "[]", done.stderr


def test_the_version_is_still_there():
    import denen_gis

    assert isinstance(denen_gis.__version__, str) and denen_gis.__version__


def test_the_cleanup_imports_nothing():
    """The handler may run while the command modules load: it must not import them."""
    code = (
        "import sys; from denen_gis._signals import stop_cleanup; stop_cleanup(); "
        "print(sorted(m for m in sys.modules if m.startswith('denen_gis.')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=ENV, capture_output=True, text=True, timeout=60
    )
    assert done.stdout.strip() == "['denen_gis._signals', 'denen_gis.errors']", done.stderr


_SLOW_FINALIZATION = """
import sys, time
import denen_gis.__main__ as entry
import denen_gis.cli

class Heavy:  # freed only when Python finalizes, like the frames of a large run
    def __del__(self):
        time.sleep(3)

KEEP = Heavy()

def command(argv=None):
    print("done", flush=True)
    return 0

denen_gis.cli.main = command
entry.main()
"""


@pytest.mark.parametrize(
    ("signum", "word"), [(signal.SIGINT, "interrupted"), (signal.SIGTERM, "terminated")]
)
def test_a_signal_after_the_command_is_done_never_kills_silently(signum, word):
    """The process ends as soon as the command returns, not after Python's finalization.

    During finalization Python puts the default dispositions back, so a signal
    then killed the process with no message (rc -2/-15).
    """
    proc = subprocess.Popen(
        [sys.executable, "-c", _SLOW_FINALIZATION],
        env=ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout.readline().strip() == "done"
    time.sleep(0.5)
    with contextlib.suppress(ProcessLookupError):
        proc.send_signal(signum)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode >= 0, f"killed by signal {-proc.returncode}: {err!r}"
    assert err in ("", f"denen-gis: {word}\n")
