"""What a service's containers get on every platform that runs them unprivileged: the user they
run as, their writable scratch space, and the digest that rolls them when a secret rotates."""

from __future__ import annotations

import hashlib
import json

# The unprivileged uid (and gid) the containers run as on Kubernetes, Swarm and Nomad, so one
# image runs on each; at or above 10000, outside the uids distributions give their own users
# (checkov CKV_K8S_40 asks for a high uid).
RUN_AS_USER = 10001
# A writable /tmp beside the read-only root filesystem, in MiB: on disk for pods (an emptyDir);
# smaller where it is a Docker tmpfs (Swarm, Nomad), whose pages are charged to the container's
# memory cgroup, so it counts against the service's memory limit.
SCRATCH_MIB = 256
TMPFS_SCRATCH_MIB = 64


def secret_versions_digest(sources: dict[str, str]) -> str:
    """One value for the sources of a service's secrets (env var -> `<reference>@<version>`,
    SecretRead.source), for its pod template or job: containers read secrets only at start, so a
    rotation, or another reference, must change what the orchestrator compares."""
    return hashlib.sha256(json.dumps(sources, sort_keys=True).encode()).hexdigest()[:16]
