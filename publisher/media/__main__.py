"""``python -m publisher.media``: see :mod:`publisher.media.cli`.

An entry point, like ``lapor``: it composes media with the platforms' limits (media itself
imports nothing of the platforms).
"""

import sys

from publisher.media.cli import main
from publisher.platforms.registry import specs

sys.exit(main(renditions={spec.name: spec.media for spec in specs()}))
