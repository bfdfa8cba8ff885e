#!/usr/bin/env bash
# Create the unprivileged user that a root worker runs builds as (WHARF_BUILD_USER, default
# wharf-build), with subordinate uid/gid ranges so buildah can run rootless in a user namespace.
# Idempotent; run as root. Called by scripts/setup.sh and the Dockerfile.
set -euo pipefail
user="${WHARF_BUILD_USER:-wharf-build}"
[ "$user" = root ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "build-user: run as root to create the build user $user" >&2
  exit 1
fi

if ! id "$user" >/dev/null 2>&1; then
  echo "setup: creating the build user $user"
  # No home: every command of a build gets HOME from the worker (builds/sandbox.py).
  useradd --system --user-group --no-create-home --home-dir /nonexistent \
    --shell /usr/sbin/nologin --comment "Wharf builds" "$user"
fi

# 65536 ids after every range already handed out, so no two users share an id.
touch /etc/subuid /etc/subgid
if ! grep -q "^$user:" /etc/subuid || ! grep -q "^$user:" /etc/subgid; then
  start=$(awk -F: 'BEGIN { end = 100000 } NF >= 3 && $2 + $3 > end { end = $2 + $3 } END { print end }' \
    /etc/subuid /etc/subgid)
  echo "setup: giving $user the subordinate ids $start-$((start + 65535))"
  grep -q "^$user:" /etc/subuid || usermod --add-subuids "$start-$((start + 65535))" "$user"
  grep -q "^$user:" /etc/subgid || usermod --add-subgids "$start-$((start + 65535))" "$user"
fi
