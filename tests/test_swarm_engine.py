"""tests/swarm_engine.py: the suite's own dockerd fails saying why, and leaves nothing behind."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests import swarm_engine, swarm_images


def _mounts_under(root: Path) -> list[str]:
    return [line.split()[1] for line in Path("/proc/mounts").read_text().splitlines()
            if line.split()[1].startswith(f"{root}/") or line.split()[1] == str(root)]


def test_a_dockerd_that_cannot_start_fails_with_the_tail_of_its_log(monkeypatch, tmp_path):
    command = swarm_engine.dockerd_command
    monkeypatch.setattr(swarm_engine, "dockerd_command",
                        lambda root: [*command(root), "--no-such-flag"])
    with pytest.raises(swarm_engine.EngineUnavailable) as failure:
        swarm_engine.start(tmp_path)
    message = str(failure.value)
    assert "dockerd could not run a Swarm here: dockerd exited with 1" in message
    assert "--- dockerd log" in message and "unknown flag: --no-such-flag" in message
    assert list(tmp_path.iterdir()) == []  # its folder is removed all the same


def test_stopping_removes_the_swarm_its_objects_and_every_trace_on_the_host():
    engine = swarm_engine.start()
    client, root, bridge = engine.client, engine.root, engine.gateway_bridge
    try:
        swarm_images.build(client, "127.0.0.1:1/shipyard-live/probe:1", "v1", ["/health"])
        client.networks.create("probe-net", driver="overlay")
        client.secrets.create(name="probe-secret", data=b"x")
        service = client.services.create("127.0.0.1:1/shipyard-live/probe:1", name="probe",
                                         networks=["probe-net"], secrets=[])
        swarm_engine.wait_for("the probe task to run", lambda: any(
            t["Status"]["State"] == "running" for t in service.tasks()), 60)
        assert Path(f"/sys/class/net/{bridge}").exists() and _mounts_under(root)
        containerd = int((root / "exec" / "containerd" / "containerd.pid").read_text())
    finally:
        swarm_engine.stop(engine)
    assert engine.process.poll() is not None
    with pytest.raises(ProcessLookupError):
        os.kill(containerd, 0)
    assert not root.exists() and not _mounts_under(root)
    assert not Path(f"/sys/class/net/{bridge}").exists()
