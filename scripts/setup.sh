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
  # private engine (tests/dockerd.py) for the docker tests and the docker builder; curl and jq
  # run the README's REST API example (tests/hub/test_readme_api.py); docker-registry is the
  # upstream of the pull-through cache tests (tests/proxy/upstream.py), apache2-utils' htpasswd
  # makes its bcrypt password file; docker-compose checks docker-compose.yml
  # (tests/test_compose.py).
  packages+=(chromium fonts-dejavu-core podman iproute2 docker.io curl jq docker-registry
    apache2-utils docker-compose)
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

# The .venv and its locked Python packages: requirements.lock is what running Wharf needs (run);
# test and bench add requirements-dev.lock (pytest, playwright, schemathesis, ruff, daphne, and
# moto, the S3 of `bench/registry.py --storage s3`).
# Both come from `make lock`. Each set is reinstalled only when its lock files changed since its
# last successful install; a .venv that has the test tools keeps them under `run`.
install_python_packages() {
  local locks=(requirements.lock) stamp=.venv/.wharf-lock.sha256 want lock args=()
  if [ "$mode" != run ]; then
    locks+=(requirements-dev.lock)
    stamp=.venv/.wharf-dev-lock.sha256
  fi
  if [ ! -x .venv/bin/python ]; then
    echo "setup: creating .venv"
    python3 -m venv .venv
  fi
  want=$(cat "${locks[@]}" | sha256sum | cut -d' ' -f1)
  if [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
    return 0
  fi
  echo "setup: installing Python packages from ${locks[*]}"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
  for lock in "${locks[@]}"; do args+=(-r "$lock"); done
  .venv/bin/python -m pip install --quiet --disable-pip-version-check "${args[@]}"
  echo "$want" > "$stamp"
  if [ "$mode" != run ]; then
    # requirements.lock is installed too: `run` need not install it again.
    sha256sum requirements.lock | cut -d' ' -f1 > .venv/.wharf-lock.sha256
  fi
}
install_python_packages

# axe-core (npm) for the browser tests' accessibility and contrast checks
# (tests/browser/test_look.py injects it into the pages). It goes to tests/browser/axe/node_modules,
# pinned by that folder's package-lock.json: never under static/, so Wharf never serves it.
# Skipped once installed from the current lock, so later runs need no registry.
install_axe() {
  local dir=tests/browser/axe want stamp=tests/browser/axe/node_modules/.wharf-lock.sha256
  want=$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)
  if [ -f "$dir/node_modules/axe-core/axe.min.js" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
    return 0
  fi
  if ! command -v npm >/dev/null; then
    if [ "$(id -u)" -ne 0 ]; then
      echo "The browser tests need npm (for axe-core). Install it as root, then run this again:" >&2
      echo "  sudo apt-get update && sudo apt-get install -y nodejs npm" >&2
      exit 1
    fi
    echo "setup: installing nodejs npm"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
  fi
  echo "setup: installing axe-core from $dir/package-lock.json"
  if ! npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error; then
    echo "setup: npm could not install axe-core (is the npm registry reachable?)." >&2
    echo "  The browser tests' contrast checks need it: run \`bash scripts/setup.sh test\` again online." >&2
    exit 1
  fi
  echo "$want" > "$stamp"
}
if [ "$mode" = test ]; then
  install_axe
fi
