"""``python -m classifiers``: see ``classifiers.cli``."""

import sys

from classifiers.cli import main

sys.exit(main())
