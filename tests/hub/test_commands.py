"""The two README commands' own logic: setup's apt advice and the test runner's exit codes."""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]


def test_runner_fails_when_no_test_is_collected():
    result = subprocess.run(
        [sys.executable, "scripts/runtests.py", "-k", "no_such_test", "-p", "no:cacheprovider"],
        cwd=BASE_DIR, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 1
    assert "pytest collected no tests; that is a failure here." in result.stderr


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv"), reason="needs root")
def test_setup_as_non_root_prints_the_apt_line_for_what_is_missing():
    # Not pytest's tmp_path: its parent is private to root, and the script runs as nobody.
    tmp_path = Path(tempfile.mkdtemp(prefix="wharf-setup-"))
    (tmp_path / "scripts").mkdir()
    shutil.copy(BASE_DIR / "scripts" / "setup.sh", tmp_path / "scripts" / "setup.sh")
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    # A dpkg-query that knows no package: everything looks missing.
    (fake_bin / "dpkg-query").write_text("#!/bin/sh\nexit 1\n")
    (fake_bin / "dpkg-query").chmod(0o755)
    tmp_path.chmod(0o755)
    result = subprocess.run(
        ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
         "bash", str(tmp_path / "scripts" / "setup.sh"), "run"],
        env={"PATH": f"{fake_bin}:/usr/bin:/bin"}, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    shutil.rmtree(tmp_path)
    assert result.returncode == 1, result.stderr
    assert (
        "sudo apt-get update && sudo apt-get install -y "
        "python3 python3-venv git redis-server buildah skopeo busybox-static slirp4netns "
        "openssh-client\n"
    ) in result.stderr
