"""Test images for the live Swarm, built locally from Debian's static BusyBox (no registry).

`FROM scratch` plus /bin/busybox (package busybox-static), its applets as symlinks on PATH (so
Shipyard's default health command `wget -q --spider http://127.0.0.1:<port><path>` runs), and a
`busybox httpd` serving:
- `/` : a page naming the image's version;
- each health path given: a file, so the health command succeeds (the broken variant has none,
  so its health check fails while the process keeps serving);
- `/cgi-bin/fetch?<host>:<port>/<path>`: the page at `http://<host>:<port>/<path>` fetched from
  inside the container (status 502 when that fails), so a request to a public service on
  127.0.0.1 travels on to the service it calls, by name, over the overlay network.

BusyBox 1.35's `wget -T` crashes (SIGSEGV) in Debian 12: time-limit with `timeout` instead.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Iterable

import docker

BUSYBOX = Path("/bin/busybox")
PORT = 8080
FETCH_CGI = """#!/bin/sh
if body=$(wget -q -O- "http://$QUERY_STRING" 2>&1); then
  printf 'HTTP/1.1 200 OK\\r\\nContent-Type: text/plain\\r\\n\\r\\n%s\\n' "$body"
else
  printf 'HTTP/1.1 502 Bad Gateway\\r\\nContent-Type: text/plain\\r\\n\\r\\n%s\\n' "$body"
fi
"""


def dockerfile(port: int) -> str:
    return (
        "FROM scratch\n"
        "COPY rootfs/ /\n"
        "ENV PATH=/bin\n"
        # The services' plan sets its own non-root user; this is the image's fallback.
        "USER 65534:65534\n"
        f"EXPOSE {port}\n"
        # httpd as PID 1 ignores SIGTERM: without this every stopped task waits out its grace
        # period (10 s) before Docker kills it.
        "STOPSIGNAL SIGKILL\n"
        f'ENTRYPOINT ["/bin/busybox", "httpd", "-f", "-p", "{port}", "-h", "/www"]\n')


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
          port: int = PORT) -> str:
    """Build `tag` and return its image id; an empty `health_paths` makes the broken variant."""
    if not BUSYBOX.exists():
        raise FileNotFoundError(f"{BUSYBOX} is missing: apt-get install -y busybox-static")
    with tempfile.TemporaryDirectory(prefix="sl-image-") as context:
        _write_rootfs(Path(context) / "rootfs", version, health_paths)
        (Path(context) / "Dockerfile").write_text(dockerfile(port))
        image, _ = client.images.build(path=context, tag=tag, rm=True, forcerm=True,
                                       network_mode="none")
    return image.id
