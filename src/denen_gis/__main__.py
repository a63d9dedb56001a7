"""The ``denen-gis`` entry point, also run by ``python -m denen_gis``.

:func:`main` installs the SIGINT/SIGTERM handlers (:mod:`denen_gis._signals`,
standard library only) before anything heavy is imported, then loads and runs
the CLI (:func:`denen_gis.cli.main`); it exits without Python's slow finalization.
"""

from __future__ import annotations

import sys
from typing import NoReturn

from denen_gis._signals import exit_now, install

__all__ = ["main"]


def main() -> NoReturn:
    """Install the signal handlers, run the CLI on ``sys.argv`` and exit with its code.

    The process ends at once when the command is done (:func:`exit_now`), so
    that a signal during Python's finalization cannot kill it without a word.
    """
    install()
    from denen_gis.cli import main as cli_main

    exit_now(cli_main())


if __name__ == "__main__":
    sys.exit(main())
