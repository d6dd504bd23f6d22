"""A private Docker Engine in Swarm mode for the live tests, started and removed by the suite.

Debian's `docker.io` (dockerd 20.10) runs here with everything under one temporary folder: data
root, exec root, pid file, socket and config. It never touches the machine's own Docker (socket,
/var/lib/docker, /etc/docker/daemon.json) and changes no host firewall or sysctl:

- `--storage-driver=vfs`: no overlayfs inside this sandbox.
- `--iptables=false --ip-masq=false --ip-forward=false`: the host's iptables and ip_forward stay
  as they are. Host-mode published ports still answer on 127.0.0.1 (docker-proxy forwards them
  to the task) and overlay networks still carry task-to-task traffic (inside their own netns).
- `--bridge=none`: no docker0; Swarm tasks only need the overlay and docker_gwbridge, which is
  created up front with its own interface name so it clashes with no other engine on the host.
- `--dns 127.0.0.1`: names a task's network doesn't know are forwarded to the task's own loopback
  (nothing answers) instead of the machine's resolver: the tests' traffic stays local.

Swarm's gossip port (7946) is fixed in dockerd 20.10: one such engine per machine at a time.
Host-mode published ports listen on every interface (Swarm's PortConfig has no host IP, and
`--ip` applies to `docker run` only): the public test service answers there while the tests run.

`start` raises :class:`EngineUnavailable` with the tail of dockerd's log when anything fails, so
the live tests fail saying why.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional, TypeVar

import docker
import docker.errors

START_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0
LOG_TAIL_LINES = 30
API_VERSION = "1.41"
T = TypeVar("T")


class EngineUnavailable(RuntimeError):
    """dockerd or the Swarm could not be brought up here; the message says why."""


def wait_for(what: str, probe: Callable[[], Optional[T]], timeout: float,
             interval: float = 0.2) -> T:
    """Poll `probe` until it returns something other than None/False; TimeoutError after
    `timeout` seconds (its last exception, if any, is chained)."""
    deadline = time.monotonic() + timeout
    last_error: Optional[BaseException] = None
    while True:
        try:
            result = probe()
            if result is not None and result is not False:
                return result
        except (docker.errors.APIError, OSError) as error:  # the engine is still settling
            last_error = error
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}") from last_error
        time.sleep(interval)


def free_port(kind: int = socket.SOCK_STREAM, below: int = 49152) -> int:
    """A port on 127.0.0.1 nothing listens on now (below `below`: Swarm's data path port must be
    in 1024-49151)."""
    for _ in range(200):
        with socket.socket(socket.AF_INET, kind) as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        if port < below:
            return port
    raise EngineUnavailable("no free port below 49152 on 127.0.0.1")


@dataclass
class SwarmEngine:
    root: Path
    process: subprocess.Popen
    client: docker.DockerClient
    gateway_bridge: str

    @property
    def log_path(self) -> Path:
        return self.root / "dockerd.log"

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError as error:
            return f"(no dockerd log: {error})"


def _fail(engine_root: Path, message: str) -> EngineUnavailable:
    log = engine_root / "dockerd.log"
    tail = log.read_text(errors="replace").splitlines()[-LOG_TAIL_LINES:] if log.exists() else []
    return EngineUnavailable(f"{message}\n--- dockerd log (last {len(tail)} lines) ---\n"
                             + "\n".join(tail))


def dockerd_command(root: Path) -> list[str]:
    return [
        "dockerd",
        f"--data-root={root / 'data'}", f"--exec-root={root / 'exec'}",
        f"--pidfile={root / 'dockerd.pid'}", f"--config-file={root / 'daemon.json'}",
        f"--host=unix://{root / 'd.sock'}",
        "--storage-driver=vfs", "--iptables=false", "--ip-masq=false", "--ip-forward=false",
        "--bridge=none", "--dns=127.0.0.1",
    ]


def start(parent: Optional[Path] = None) -> SwarmEngine:
    """Start a dockerd of our own and make it a one-node Swarm manager on 127.0.0.1."""
    if shutil.which("dockerd") is None:
        raise EngineUnavailable("dockerd is not installed: apt-get install -y docker.io")
    # Short: unix socket paths are limited to 108 bytes, and containerd's live under exec-root.
    root = Path(tempfile.mkdtemp(prefix="sl-", dir=parent or "/tmp"))
    (root / "daemon.json").write_text("{}\n")
    log = open(root / "dockerd.log", "wb")
    try:
        process = subprocess.Popen(dockerd_command(root), stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
    finally:
        log.close()
    # The API version dockerd 20.10 speaks: given, the client asks nothing before the socket is up.
    client = docker.DockerClient(base_url=f"unix://{root / 'd.sock'}", version=API_VERSION,
                                 timeout=120)
    engine = SwarmEngine(root, process, client, gateway_bridge=f"slgw{root.name[3:9]}")
    try:
        wait_for("dockerd to answer", lambda: _alive(process) and client.ping(), START_TIMEOUT)
        _init_swarm(engine)
    except (EngineUnavailable, TimeoutError, docker.errors.APIError, OSError) as error:
        exited = process.poll()
        reason = f"dockerd exited with {exited}" if exited is not None else str(error)
        failure = _fail(root, f"dockerd could not run a Swarm here: {reason}")  # before the
        stop(engine)                                                   # log is deleted
        raise failure from error
    return engine


def _alive(process: subprocess.Popen) -> bool:
    if process.poll() is not None:
        raise EngineUnavailable("dockerd exited")
    return True


def _init_swarm(engine: SwarmEngine) -> None:
    # docker_gwbridge connects tasks to the host (host-mode published ports go through it). Made
    # before `swarm init` so Docker adopts it: its own interface name, no masquerading.
    engine.client.networks.create("docker_gwbridge", driver="bridge", options={
        "com.docker.network.bridge.name": engine.gateway_bridge,
        "com.docker.network.bridge.enable_icc": "false",
        "com.docker.network.bridge.enable_ip_masquerade": "false",
    })
    engine.client.swarm.init(advertise_addr="127.0.0.1",
                             listen_addr=f"127.0.0.1:{free_port()}",
                             data_path_port=free_port(socket.SOCK_DGRAM))
    wait_for("the Swarm node to be ready", lambda: any(
        node.attrs["Status"]["State"] == "ready" for node in engine.client.nodes.list()),
        START_TIMEOUT)


def remove_everything(client: docker.DockerClient) -> None:
    """Remove every service, secret, user network and image of this engine (all ours)."""
    for service in client.services.list():
        service.remove()
    for container in client.containers.list():
        # Seconds sooner than Swarm's own shutdown of each task.
        try:
            container.kill()
        except docker.errors.APIError:
            pass  # it stopped (or went) meanwhile
    wait_for("the services' containers to be gone",
             lambda: not client.containers.list(all=True), STOP_TIMEOUT)
    for secret in client.secrets.list():
        secret.remove()
    for network in client.networks.list():
        if network.name not in ("ingress", "docker_gwbridge", "bridge", "host", "none"):
            network.remove()
    for image in client.images.list(all=True):
        client.images.remove(image.id, force=True)


def stop(engine: SwarmEngine) -> None:
    """Remove what the tests made, leave the Swarm, stop dockerd and delete its folder."""
    try:
        if engine.process.poll() is None:
            remove_everything(engine.client)
            engine.client.swarm.leave(force=True)
            # Deleting the network deletes its bridge interface on the host.
            wait_for("docker_gwbridge to be removable",
                     lambda: engine.client.networks.get("docker_gwbridge").remove() or True,
                     STOP_TIMEOUT)
    except (docker.errors.APIError, OSError, TimeoutError):
        pass  # dockerd is stopped regardless; its leftovers are removed below
    finally:
        engine.client.close()
        _stop_process(engine)
        _remove_root(engine)


def _stop_process(engine: SwarmEngine) -> None:
    containerd_pid = _read_pid(engine.root / "exec" / "containerd" / "containerd.pid")
    if engine.process.poll() is None:
        engine.process.send_signal(signal.SIGTERM)
        try:
            engine.process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            engine.process.kill()
            engine.process.wait()
    if containerd_pid and _is_running(containerd_pid):
        # dockerd stops its containerd on a clean exit; after a SIGKILL it is left behind.
        os.kill(containerd_pid, signal.SIGKILL)


def _read_pid(path: Path) -> Optional[int]:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def _is_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _remove_root(engine: SwarmEngine) -> None:
    # dockerd bind-mounts its data root and each network namespace under the exec root; after an
    # unclean exit they stay mounted and rmtree would fail with EBUSY.
    mounts = [line.split()[1] for line in Path("/proc/mounts").read_text().splitlines()]
    for mount in sorted((m for m in mounts if m.startswith(f"{engine.root}/")), reverse=True):
        subprocess.run(["umount", "-l", mount], check=False, capture_output=True)
    if Path(f"/sys/class/net/{engine.gateway_bridge}").exists():
        subprocess.run(["ip", "link", "delete", engine.gateway_bridge], check=False,
                       capture_output=True)
    shutil.rmtree(engine.root, ignore_errors=True)

