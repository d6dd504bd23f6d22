"""Test images for the live Swarm, built locally from Debian's static BusyBox (no registry).

`FROM scratch` plus /bin/busybox (package busybox-static), its applets as symlinks on PATH (so
Shipyard's default health command `wget -q --spider http://127.0.0.1:<port><path>` runs), and a
`busybox httpd` serving:
- `/` : a page naming the image's version;
- each health path given: a file, so the health command succeeds (the unhealthy variant has
  none: its health check fails while the process keeps serving);
- `/cgi-bin/fetch?<name>:<port>/<path>`: the page at `http://<name>:<port>/<path>` fetched from
  inside the container (status 502 when that fails; 400 for a host with a dot), so a request
  to a public service on 127.0.0.1 travels on to the service it calls, by name, over the
  overlay network.

The crashing variant's process exits at once instead.

BusyBox 1.35's `wget -T` crashes (SIGSEGV) in Debian 12: time-limit with `timeout` instead.
"""

from __future__ import annotations

import io
import os
import shutil
import tarfile
import tempfile
from pathlib import Path
from typing import Iterable

import docker

BUSYBOX = Path("/bin/busybox")
PORT = 8080
FETCH_CGI = """#!/bin/sh
# Only names without dots (the Swarm's own service aliases): never a proxy to anywhere else.
case "${QUERY_STRING%%/*}" in
  ""|*[!a-z0-9:-]*) printf 'HTTP/1.1 400 Bad Request\\r\\n\\r\\n'; exit 0 ;;
esac
if body=$(wget -q -O- "http://$QUERY_STRING" 2>&1); then
  printf 'HTTP/1.1 200 OK\\r\\nContent-Type: text/plain\\r\\n\\r\\n%s\\n' "$body"
else
  printf 'HTTP/1.1 502 Bad Gateway\\r\\nContent-Type: text/plain\\r\\n\\r\\n%s\\n' "$body"
fi
"""


def image_config(port: int, exits: bool = False) -> list[str]:
    """The image's settings, as the Dockerfile instructions an import may apply."""
    # A shell as PID 1 that exits on SIGTERM: httpd as PID 1 would ignore it, and every stopped
    # task would wait out the plan's stop grace period (30 s) before Docker kills it.
    serve = f"trap 'exit 0' TERM; httpd -f -p {port} -h /www & wait"
    return [
        # The services' plan sets its own non-root user; this is the image's fallback.
        "USER 65534:65534",
        'ENTRYPOINT ["/bin/busybox", "false"]' if exits else
        f'ENTRYPOINT ["/bin/sh", "-c", "{serve}"]',
    ]


def _write_rootfs(rootfs: Path, version: str, health_paths: Iterable[str]) -> None:
    bin_dir = rootfs / "bin"
    bin_dir.mkdir(parents=True)
    shutil.copy2(BUSYBOX, bin_dir / "busybox")
    for applet in ("sh", "wget", "id", "env", "cat", "ls", "touch", "nslookup", "timeout"):
        os.symlink("busybox", bin_dir / applet)
    www = rootfs / "www"
    (www / "cgi-bin").mkdir(parents=True)
    (www / "index.html").write_text(f"shipyard-live {version}\n")
    for path in health_paths:
        health = www / path.strip("/")
        health.parent.mkdir(parents=True, exist_ok=True)
        health.write_text("ok\n")
    fetch = www / "cgi-bin" / "fetch"
    fetch.write_text(FETCH_CGI)
    fetch.chmod(0o755)


def build(client: docker.DockerClient, tag: str, version: str, health_paths: Iterable[str],
          port: int = PORT, exits: bool = False) -> str:
    """Make `tag` and return its image id. No `health_paths`: the unhealthy variant; `exits`:
    the crashing one.

    An import of the root fs with its settings (POST /images/create?fromSrc=-) rather than a
    `docker build`: the same single-layer image, in well under a second, where dockerd 20.10's
    legacy builder on vfs commits a container per instruction (about 5 s an image).
    """
    if not BUSYBOX.exists():
        raise FileNotFoundError(f"{BUSYBOX} is missing: apt-get install -y busybox-static")
    with tempfile.TemporaryDirectory(prefix="sl-image-") as context:
        rootfs = Path(context) / "rootfs"
        _write_rootfs(rootfs, version, health_paths)
        archive = io.BytesIO()
        with tarfile.open(fileobj=archive, mode="w") as tar:
            for path in sorted(rootfs.rglob("*")):
                tar.add(path, arcname=str(path.relative_to(rootfs)), recursive=False)
    repository, image_tag = tag.rsplit(":", 1)
    client.api.import_image_from_data(archive.getvalue(), repository=repository, tag=image_tag,
                                      changes=image_config(port, exits))
    return client.images.get(tag).id
