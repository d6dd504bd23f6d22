"""Shipyard's security controls as a Pulumi CrossGuard policy pack.

`pulumi preview --policy-pack policy` (or `pulumi up --policy-pack policy`) runs this file from
the policy/ folder; the policies themselves live in shipyard_pack.py, the rules in the
`shipyard.review.controls` package of this checkout.
"""

import sys
from pathlib import Path

PACK = Path(__file__).resolve().parent
# The pack's own module, then the project root (for `import shipyard`), whatever the working
# directory Pulumi starts the pack in.
sys.path[:0] = [str(PACK), str(PACK.parent)]

from pulumi_policy import EnforcementLevel, PolicyPack  # noqa: E402
from shipyard_pack import POLICIES  # noqa: E402

PolicyPack(name="shipyard-security", enforcement_level=EnforcementLevel.MANDATORY,
           policies=POLICIES)
