"""The private Docker engine starts, answers and runs a container without a network."""

import pytest

pytestmark = pytest.mark.integration


def test_the_private_engine_answers(dockerd):
    version = dockerd.run("version", "--format", "{{.Client.Version}} {{.Server.Version}}")
    client, server = version.stdout.split()
    assert client == server  # Debian's CLI and engine, one version
