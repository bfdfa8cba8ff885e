"""The two-host cluster (tests/multihost/cluster.py), started once for the package.

Two hosts cannot share an SQLite file, so on SQLite (no DATABASE_URL) everything here skips; the
CI runs the suite on PostgreSQL too.
"""

from collections.abc import Iterator

import pytest
from django.db import connection

from hub.registry import busybox
from tests.multihost.cluster import Cluster, two_hosts


@pytest.fixture(scope="package")
def cluster(django_db_setup, s3_server, tmp_path_factory) -> Iterator[Cluster]:
    if connection.vendor != "postgresql":
        pytest.skip(
            "several hosts need a database server, not an SQLite file: run with "
            "DATABASE_URL=postgres://… (.ci/run does, when PostgreSQL answers)"
        )
    if not busybox.BUSYBOX.exists():
        pytest.skip("needs Debian's busybox-static (the builds' base image)")
    with two_hosts(tmp_path_factory.mktemp("hosts"), s3_server) as running:
        yield running


# These replace tests/conftest.py's per-test fixtures of the same names: the processes were
# started with one Redis, key prefix and bucket, and the test process must use the same.
@pytest.fixture(autouse=True)
def _isolated_redis_keys(settings, cluster):
    cluster.use(settings)


@pytest.fixture(autouse=True)
def _isolated_blob_store(settings, cluster):
    cluster.use(settings)
