"""The ``denen-gis`` entry point, also run by ``python -m denen_gis``.

:func:`main` installs the SIGINT/SIGTERM handlers (:mod:`denen_gis._signals`,
standard library only) before anything heavy is imported, then loads and runs
the CLI (:func:`denen_gis.cli.main`).
"""

from __future__ import annotations

import sys

from denen_gis._signals import install

__all__ = ["main"]


def main() -> int:
    """Install the signal handlers, then run the CLI on ``sys.argv``; the exit code."""
    install()
    from denen_gis.cli import main as cli_main

    return cli_main()


if __name__ == "__main__":
    sys.exit(main())
