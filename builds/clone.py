"""The clone step: a build's git source, fetched as the build user, within its own time limit.

git runs with a protocol allow-list, without redirects (a public URL must not bounce the clone
to an internal address), with low-speed limits, and under WHARF_BUILD_CLONE_TIMEOUT, since git
itself waits for ever on a server that accepts and never answers. The host is checked against
the address rules (builds.validation) when the clone starts, and an http(s) clone is pinned to
the addresses that were checked. Credentials for a private source reach git through a
credential file of the worker's, never through the URL or the command line, so no log line,
error or ``ps`` can show them; the file is gone before the next step starts.
"""

import os
import subprocess
import time
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError

from builds import processes, validation

GIT_PATH = "/usr/local/bin:/usr/bin:/bin"


class CloneFailed(Exception):
    """The clone failed for a reason of the user's (the message is the build's error)."""


def _protocols() -> list[str]:
    protocols = ["https", "http", "ssh", "git"]
    if settings.WHARF_BUILD_ALLOW_LOCAL_SOURCES:
        protocols.append("file")
    config = ["-c", "protocol.allow=never"]
    for protocol in protocols:
        config += ["-c", f"protocol.{protocol}.allow=always"]
    return config


def _pinned(url: str, addresses: list[str]) -> list[str]:
    """git config that sends an http(s) clone to the addresses checked, not a new lookup's."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not addresses or not parts.hostname:
        return []
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return []
    shown = ",".join(f"[{a}]" if ":" in a else a for a in addresses)
    return ["-c", f"http.curloptResolve={parts.hostname}:{port}:{shown}"]


def check_address(url: str) -> list[str]:
    """The source host's addresses, once each is one a build may reach; CloneFailed if not."""
    host = validation.source_host(url)
    if not host:
        return []
    try:
        return validation.check_host(host, "The git host")
    except ValidationError as error:
        raise CloneFailed(" ".join(error.messages)) from None


def credential_file(job, workdir: Path, url: str, login: tuple[str, str]) -> Path | None:
    """A git credential store holding ``login`` for the URL's origin (http(s) only)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    username, password = login
    netloc = parts.netloc.rpartition("@")[2]
    entry = f"{parts.scheme}://{quote(username, safe='')}:{quote(password, safe='')}@{netloc}\n"
    path = workdir / "git-credentials"
    job.sandbox.write(path, entry, secret=True)
    return path


def clone(job, workdir: Path) -> tuple[Path, str]:
    """Clone the build's ref into ``workdir/src``; returns (checkout, commit sha)."""
    build = job.build
    checkout = workdir / "src"
    addresses = check_address(build.source_url)
    env = {
        "PATH": GIT_PATH,
        "HOME": str(workdir / "home"),
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_SSH_COMMAND": (
            "ssh -o BatchMode=yes -o StrictHostKeyChecking=accept-new -o ConnectTimeout=30 "
            "-o ServerAliveInterval=15 -o ServerAliveCountMax=4"
        ),
    }
    config = [
        *_protocols(),
        "-c",
        "http.followRedirects=false",
        "-c",
        "http.lowSpeedLimit=1000",
        "-c",
        "http.lowSpeedTime=60",
        *_pinned(build.source_url, addresses),
    ]
    login = build.source_login()
    credentials = credential_file(job, workdir, build.source_url, login) if login else None
    if credentials is not None:
        job.log.add_secret(login[1])
        config += [
            "-c",
            "credential.helper=",
            "-c",
            f"credential.helper=store --file={credentials}",
        ]
    shown_url = validation.split_credentials(build.source_url)[0]
    job.log.line(f"Cloning {shown_url} ({build.source_type} {build.source_ref})")
    limit = settings.WHARF_BUILD_CLONE_TIMEOUT
    deadline = min(job.deadline, time.monotonic() + limit)
    args = [
        "git",
        *config,
        "clone",
        "--depth",
        "1",
        "--single-branch",
        "--branch",
        build.source_ref,
        "--",
        build.source_url,
        str(checkout),
    ]
    try:
        job.run(
            args,
            f"could not clone {shown_url} at {build.source_type} {build.source_ref!r}",
            shown=f"$ git clone --depth 1 {shown_url} ({build.source_type} {build.source_ref})",
            env=env,
            deadline=deadline,
        )
    except processes.TimedOut:
        if time.monotonic() < job.deadline:
            raise CloneFailed(
                f"git did not finish cloning {shown_url} within {limit} s "
                "(WHARF_BUILD_CLONE_TIMEOUT): the server is slow or does not answer"
            ) from None
        raise
    except processes.CommandFailed:
        _explain_unreadable_local_source(job)
        raise
    finally:
        if credentials is not None:
            credentials.unlink(missing_ok=True)
    result = subprocess.run(
        job.sandbox.command(["git", "-C", str(checkout), "rev-parse", "HEAD"]),
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    if result.returncode != 0:
        raise CloneFailed(f"git failed: {result.stderr.strip()[:300]}")
    return checkout, result.stdout.strip()


def _explain_unreadable_local_source(job) -> None:
    """git says "does not appear to be a git repository" for a local repository the build
    user may not read, as for a missing one; say which it is."""
    url = job.build.source_url
    path = unquote(urlsplit(url).path) if url.startswith("file:") else url
    if job.sandbox.uid is None or not path.startswith("/") or not os.path.exists(path):
        return
    readable = 'test -r "$1" && { test ! -d "$1" || test -x "$1"; }'
    probe = job.sandbox.command(["sh", "-c", readable, "sh", path])
    try:
        unreadable = subprocess.run(probe, capture_output=True, timeout=30).returncode != 0
    except (OSError, subprocess.TimeoutExpired):
        return  # git's own message stands
    if unreadable:
        raise CloneFailed(
            f"the build user {job.sandbox.user} cannot read {path}: make it readable to "
            "that user, or move the repository (not under /root)"
        )
