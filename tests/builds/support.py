"""Helpers of the end-to-end build tests: git repositories made here, builds started and
awaited, their logs read."""

import subprocess
import time
from pathlib import Path

from builds.models import Build
from builds.services import build_create


def git(*args, cwd):
    subprocess.run(
        ["git", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
        env={
            "PATH": "/usr/bin:/bin",
            "HOME": str(cwd),
            "GIT_AUTHOR_NAME": "t",
            "GIT_AUTHOR_EMAIL": "t@example.test",
            "GIT_COMMITTER_NAME": "t",
            "GIT_COMMITTER_EMAIL": "t@example.test",
        },
    )


def make_git_repo(path: Path, files: dict[str, str]) -> Path:
    path.mkdir(parents=True)
    git("init", "-q", "-b", "main", cwd=path)
    for name, content in files.items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_text(content)
    git("add", "-A", cwd=path)
    git("commit", "-q", "-m", "first", cwd=path)
    return path


def wait_final(build: Build, timeout: float = 180) -> Build:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        build.refresh_from_db()
        if build.is_final:
            return build
        time.sleep(0.3)
    raise AssertionError(f"build {build.pk} still {build.status} after {timeout}s")


def log_text(build: Build) -> str:
    return "\n".join(build.log_lines.order_by("seq").values_list("text", flat=True))


def start(repo, source: Path, **kwargs) -> Build:
    defaults = {"source_url": f"file://{source}", "source_ref": "main", "tags": ["latest"]}
    return build_create(repository=repo, **{**defaults, **kwargs})
