"""``python -m denen_gis``."""

import sys

from denen_gis.cli import main

sys.exit(main())
