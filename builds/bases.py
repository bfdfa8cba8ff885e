"""The pull step: every image a Dockerfile names, fetched through a registry before the build.

The builder then runs with pulling turned off, so what a build is made from is exactly what was
pulled here, with the rights of the person who started it (builds.credentials): an image of
this hub needs their pull right, asked by the registry on this pull and checked here first for
a clear message; an image of another registry is fetched from it only if its host passes the
address rules (never the worker's own loopback or a metadata service, unless private sources
are allowed). A name that leads nowhere a pull can reach — ``localhost/…``, another build's
local image — fails the build instead of being found in a store.
"""

import os
import stat
from pathlib import Path

from django.core.exceptions import ValidationError

from builds import credentials, dockerfile, validation
from builds.builders import BuildSpec, registry_host
from hub.registry import names, tokens
from hub.registry.access import allowed_actions
from hub.registry.errors import NameInvalid

MAX_DOCKERFILE = 1024 * 1024


class BaseRefused(Exception):
    """A base image this build may not use (the message is the build's error)."""


def read_dockerfile(path: Path) -> str:
    """The Dockerfile's text, read without following a link (the checkout is the user's)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as exc:
        raise BaseRefused(f"cannot read the Dockerfile: {exc.strerror}") from None
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise BaseRefused("the Dockerfile is not a regular file")
        data = handle.read(MAX_DOCKERFILE + 1)
    if len(data) > MAX_DOCKERFILE:
        raise BaseRefused("the Dockerfile is larger than 1 MiB")
    return data.decode("utf-8", "replace")


def split_reference(reference: str) -> tuple[str, str]:
    """(registry host or "" for this hub's short names, repository path) of an image name."""
    name = reference.split("@", 1)[0]
    first, sep, rest = name.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        host, path = first, rest
    else:
        host, path = "", name
    head, colon, tag = path.rpartition(":")
    if colon and "/" not in tag:
        path = head
    return host, path


def check(image: dockerfile.Image, user, who: str) -> None:
    """Refuse a base the starter may not pull, or whose registry a build may not reach."""
    host, path = split_reference(image.reference)
    where = f"the image {image.reference} (line {image.line})"
    if not host or host == registry_host():
        try:
            name = names.canonical(path)
        except NameInvalid:
            raise BaseRefused(f"{where} is not a valid repository name") from None
        if user is None:
            rights = allowed_actions(None, name)
        else:
            rights = allowed_actions(user, name)
        if "pull" not in rights:
            raise BaseRefused(f"{where} does not exist on this hub, or {who} may not pull it")
        return
    hostname = host.rsplit(":", 1)[0] if not host.startswith("[") else host.split("]")[0] + "]"
    try:
        validation.check_host(hostname, f"The registry of {where}:")
    except ValidationError as error:
        raise BaseRefused(" ".join(error.messages)) from None


def pull(job, spec: BuildSpec, text: str) -> list[dockerfile.Image]:
    """Pull every image the Dockerfile names into the repository's store (see module doc)."""
    build = job.build
    try:
        images = dockerfile.images(text, build.build_args)
    except dockerfile.DockerfileError as error:
        raise BaseRefused(f"cannot read the Dockerfile's base images: {error}") from None
    user = credentials.acting_for(build)
    who = user.username if user is not None else "an anonymous user"
    for image in images:
        check(image, user, who)
    if not images:
        return images
    secret = credentials.issue(build, phase=credentials.PULL, ttl=job.remaining())
    job.log.add_secret(secret)
    job.backend.login_file(spec, tokens.BUILD_USERNAME, secret)
    try:
        for image in images:
            platform = f" --platform {image.platform}" if image.platform else ""
            job.run(
                job.backend.pull_command(spec, image),
                f"could not pull {image.reference} (line {image.line})",
                shown=f"$ buildah pull{platform} {image.reference}",
                env=job.env,
            )
    finally:
        credentials.revoke(build)
        spec.auth_file.unlink(missing_ok=True)
    return images


def onbuild_triggers(job, spec: BuildSpec, image: dockerfile.Image) -> list[str]:
    """The ONBUILD instructions of a pulled base: they run in this build, so they are checked
    like the Dockerfile's own (builds.mounts)."""
    import json
    import subprocess

    inspect = [*job.store.buildah(), "inspect", "--type", "image", image.reference]
    result = subprocess.run(
        job.sandbox.command(inspect), env=job.env, capture_output=True, text=True, timeout=120
    )
    if result.returncode != 0:
        raise BaseRefused(
            f"cannot read the image {image.reference}: {result.stderr.strip()[-300:]}"
        )
    try:
        config = json.loads(result.stdout).get("Docker", {}).get("config", {}) or {}
    except ValueError:
        raise BaseRefused(f"cannot read the image {image.reference}") from None
    return [str(trigger) for trigger in config.get("OnBuild") or []]
