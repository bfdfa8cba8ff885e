"""The automated builds' settings, read by ``hub.settings`` (which imports each of them): every
knob an environment variable with an embedded default, as there."""

import re
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from hub.env import env_bool, env_int, env_str, env_url

# file:// URLs and local paths as build sources: for tests and development only.
WHARF_BUILD_ALLOW_LOCAL_SOURCES = env_bool("WHARF_BUILD_ALLOW_LOCAL_SOURCES", False)
# Git hosts and base-image registries at loopback or private addresses (this host's own services,
# the internal network): off by default, so a build cannot be pointed at them. Link-local and
# cloud metadata addresses are refused whatever this says.
WHARF_BUILD_ALLOW_PRIVATE_SOURCES = env_bool("WHARF_BUILD_ALLOW_PRIVATE_SOURCES", False)
WHARF_BUILD_TIMEOUT = env_int("WHARF_BUILD_TIMEOUT", 3600, minimum=30)
# What one build's commands may write to its log (the database): past either, lines are counted
# for progress but not stored, and the log says so.
WHARF_BUILD_LOG_MAX_LINES = env_int("WHARF_BUILD_LOG_MAX_LINES", 200_000, minimum=1000)
WHARF_BUILD_LOG_MAX_BYTES = env_int("WHARF_BUILD_LOG_MAX_MB", 64, minimum=1) * 1024 * 1024
# git has no timeout of its own: a server that accepts and never answers holds a clone forever.
WHARF_BUILD_CLONE_TIMEOUT = env_int("WHARF_BUILD_CLONE_TIMEOUT", 600, minimum=5)
# RUN steps get a network namespace of their own (outbound through slirp4netns, without the
# host's loopback): "private". "host" shares the worker's network (and its 127.0.0.1).
WHARF_BUILD_NETWORK = env_str("WHARF_BUILD_NETWORK", "private")
if WHARF_BUILD_NETWORK not in {"private", "host"}:
    raise ImproperlyConfigured(
        f"WHARF_BUILD_NETWORK must be private or host; got {WHARF_BUILD_NETWORK!r}"
    )
# How often the worker removes superseded images and dead containers from the per-repository
# layer stores (hours); 0 turns the schedule off (workers still prune when they start).
WHARF_BUILD_PRUNE_INTERVAL_HOURS = env_int("WHARF_BUILD_PRUNE_INTERVAL_HOURS", 6, minimum=0)
WHARF_BUILDER = env_str("WHARF_BUILDER", "buildah")
if WHARF_BUILDER not in {"buildah", "docker"}:
    raise ImproperlyConfigured(f"WHARF_BUILDER must be buildah or docker; got {WHARF_BUILDER!r}")
# How the worker reaches the registry it pushes to (defaults to WHARF_URL's host and port).
WHARF_BUILD_REGISTRY = (
    env_url("WHARF_BUILD_REGISTRY", "http://unset", schemes={"http", "https"})
    if env_str("WHARF_BUILD_REGISTRY")
    else ""
)
# A worker running as root runs each build's git and buildah as this unprivileged user (rootless
# buildah in a user namespace; scripts/setup.sh creates it); "root" keeps builds as root.
WHARF_BUILD_USER = env_str("WHARF_BUILD_USER", "wharf-build")
if not re.fullmatch(r"[a-z_][a-z0-9_-]{0,31}", WHARF_BUILD_USER):
    raise ImproperlyConfigured(f"WHARF_BUILD_USER must be a user name; got {WHARF_BUILD_USER!r}")
# Layer storage and checkouts of builds; empty: chosen by builds.sandbox (the data dir, or the
# build user's home when builds drop to that user and must own their files).
WHARF_BUILD_DIR = Path(env_str("WHARF_BUILD_DIR")).resolve() if env_str("WHARF_BUILD_DIR") else None
