import gc
import sys

# One command per process: what it builds (a plan and its views) lives until the process
# exits, so the cyclic collector would only rescan it, ever longer as the plan grows
# (bench/README.md). shipyard.review.engine does the same for a run inside a longer process.
gc.disable()

from shipyard.cli import main  # noqa: E402  (after gc.disable: imports build most objects)

sys.exit(main())
