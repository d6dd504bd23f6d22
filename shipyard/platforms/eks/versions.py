"""Kubernetes versions Amazon EKS supports, with their support windows.

Source: the EKS Kubernetes release calendar (docs.aws.amazon.com/eks/latest/userguide/
kubernetes-versions.html), checked 2026-11-26. Extended support costs 6x the standard hourly
price. Versions whose extended support has ended are left out: EKS no longer creates them.
Re-check this table, and the default, whenever a version enters or leaves support.
"""

from datetime import date

# version -> (end of standard support, end of extended support)
EKS_SUPPORT_WINDOWS: dict[str, tuple[date, date]] = {
    "1.32": (date(2026, 3, 23), date(2027, 3, 23)),
    "1.33": (date(2026, 7, 29), date(2027, 7, 29)),
    "1.34": (date(2026, 12, 2), date(2027, 12, 2)),
    "1.35": (date(2027, 3, 27), date(2028, 3, 27)),
}
SUPPORTED_EKS_VERSIONS = tuple(EKS_SUPPORT_WINDOWS)
# The newest version in standard support: the longest runway before an upgrade is due.
DEFAULT_EKS_VERSION = "1.35"
