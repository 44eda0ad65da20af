"""``python -m checker`` runs the same command line as the ``trailcheck`` script."""

import sys

from checker.cli import main

sys.exit(main())
