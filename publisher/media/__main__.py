"""``python -m publisher.media``: see :mod:`publisher.media.cli`."""

import sys

from publisher.media.cli import main

sys.exit(main())
