#!/usr/bin/env bash
# Idempotent setup shared by `make run` and `make test` (and the benchmarks in bench/):
#   system packages (apt) that are missing, a .venv, the locked Python packages.
# Usage: scripts/setup.sh run|test|bench
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-run}"

# slirp4netns: RUN steps of builds get a network of their own, without the host's loopback;
# openssh-client: ssh:// build sources.
packages=(python3 python3-venv git redis-server buildah skopeo busybox-static slirp4netns
  openssh-client)
if [ "$mode" = test ]; then
  # Browser tests drive Debian's chromium; podman is a registry client the tests use; the build
  # tests read the host's addresses with ip (iproute2); docker.io is the docker CLI and a
  # private engine (tests/dockerd.py) for the docker tests and the docker builder.
  packages+=(chromium fonts-dejavu-core podman iproute2 docker.io)
elif [ "$mode" = bench ]; then
  # bench/registry*.py: hey sends the request load, docker-registry is the reference registry
  # Wharf is measured against.
  packages+=(hey docker-registry)
fi

missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "Wharf needs these system packages. Install them as root, then run this again:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ "$(id -u)" -eq 0 ]; then
  # A root worker builds as this unprivileged user; without it builds fall back to root.
  scripts/build-user.sh
fi

if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  python3 -m venv .venv
fi

# Reinstall only when the lock file changed since the last successful install.
stamp=.venv/.wharf-lock.sha256
want=$(sha256sum requirements.lock | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "setup: installing Python packages from requirements.lock"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
  echo "$want" > "$stamp"
fi
