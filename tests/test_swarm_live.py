"""The plan of a Swarm stack applied to a real one-node Swarm (a dockerd the suite starts).

Nothing here skips: where dockerd cannot run, the engine fixture fails with dockerd's log.
"""

from __future__ import annotations

from typing import Iterator

import pytest

from tests import swarm_engine, swarm_images


@pytest.fixture(scope="module")
def swarm() -> Iterator[swarm_engine.SwarmEngine]:
    try:
        engine = swarm_engine.start()
    except swarm_engine.EngineUnavailable as error:
        pytest.fail(f"the live Swarm tests need a dockerd of their own: {error}", pytrace=False)
    try:
        yield engine
    finally:
        swarm_engine.stop(engine)


def test_the_engine_is_a_swarm_manager_of_its_own(swarm):
    info = swarm.client.info()
    assert info["Swarm"]["LocalNodeState"] == "active"
    assert info["Swarm"]["ControlAvailable"] is True
    assert info["Driver"] == "vfs"
    assert info["DockerRootDir"].startswith(f"{swarm.root}/")


def test_the_busybox_image_serves_its_page_and_health_path(swarm):
    swarm_images.build(swarm.client, "127.0.0.1:1/shipyard-live/probe:1", "v1", ["/health"])
    output = swarm.client.containers.run(
        "127.0.0.1:1/shipyard-live/probe:1", user="10001:10001", read_only=True, remove=True,
        network_mode="none", entrypoint=["/bin/sh", "-c"],
        command=["httpd -p 8080 -h /www && "
                 "wget -q -O- http://127.0.0.1:8080/health; id -u"])
    assert output.decode().split() == ["ok", "10001"]
