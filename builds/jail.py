"""The builder's own filesystem: a root of its own, holding only what one build may touch.

A root worker starts buildah in a mount namespace whose root is a fresh tmpfs (``pivot_root``,
not ``chroot``: the kernel lets no chrooted process make the user namespace rootless buildah
needs) holding the system directories read-only (``/usr``, ``/etc``, ``/sys`` and the merged-usr
links), ``/dev`` (with a ``/dev/shm`` of its own), a fresh ``/proc`` of the build's PID namespace,
empty ``/tmp`` and ``/var/tmp``, and exactly two directories of Wharf's, at their own paths: the
repository's layer store and the build's scratch directory.

Whatever gets out of a RUN step's container — buildah 1.28 lets a bind mount follow a symlink
to the builder's ``/`` (CVE-2024-1753), and builds.mounts refuses the ways it knows — lands
here: not in other repositories' stores, not in other builds' directories, not in the data dir,
not at the sockets under ``/run``.

The same script opens the network gate (builds.network) and puts slirp4netns's resolver in
``/etc/resolv.conf`` when the host's is on loopback.
"""

import subprocess
from pathlib import Path

# sh -c SCRIPT wharf-jail GATE RESOLV JAIL [PATH...] -- COMMAND...
SCRIPT = r"""
set -e
gate=$1 resolv=$2 jail=$3
shift 3
if [ "$gate" = 1 ]; then read -r _ || exit 111; fi
if [ -n "$jail" ]; then
  mount -t tmpfs -o mode=0755 wharf-build-root "$jail"
  for d in usr etc sys; do
    mkdir "$jail/$d"
    mount --rbind "/$d" "$jail/$d"
    mount -o remount,bind,ro "$jail/$d"
  done
  for d in bin sbin lib lib32 lib64 libx32; do
    if [ -L "/$d" ]; then
      ln -s "$(readlink "/$d")" "$jail/$d"
    elif [ -d "/$d" ]; then
      mkdir "$jail/$d"
      mount --rbind "/$d" "$jail/$d"
      mount -o remount,bind,ro "$jail/$d"
    fi
  done
  mkdir "$jail/dev" "$jail/proc" "$jail/tmp" "$jail/var" "$jail/var/tmp" "$jail/run"
  mount --rbind /dev "$jail/dev"
  mount -t tmpfs -o nosuid,nodev tmpfs "$jail/dev/shm"
  mount -t proc -o nosuid,nodev,noexec proc "$jail/proc"
  mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$jail/tmp"
  mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$jail/var/tmp"
  while [ "$1" != "--" ]; do
    mkdir -p "$jail$1"
    mount --bind "$1" "$jail$1"
    shift
  done
else
  while [ "$1" != "--" ]; do shift; done
fi
shift
if [ -n "$resolv" ]; then mount --bind "$resolv" "$jail/etc/resolv.conf"; fi
if [ -n "$jail" ]; then
  cd "$jail"
  mkdir .old
  pivot_root . .old
  cd /
  umount -l /.old
  rmdir /.old
fi
exec "$@" </dev/null
"""


def wrap(
    inner: list[str],
    *,
    gate: bool = False,
    resolv: Path | None = None,
    jail: Path | None = None,
    paths: tuple[Path, ...] = (),
) -> list[str]:
    """``sh`` running ``inner`` behind the gate, in the jail at ``jail`` holding ``paths``."""
    return [
        "sh",
        "-c",
        SCRIPT,
        "wharf-jail",
        "1" if gate else "0",
        str(resolv or ""),
        str(jail or ""),
        *(str(path) for path in (paths if jail else ())),
        "--",
        *inner,
    ]


def probe(scratch: Path) -> str:
    """Empty when this host can make the jail (root, mount namespaces); else why not."""
    scratch.mkdir(mode=0o700, exist_ok=True)
    args = ["unshare", "--mount", "--", *wrap(["test", "-d", "/usr/bin"], jail=scratch)]
    try:
        result = subprocess.run(args, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return str(exc)
    if result.returncode != 0:
        lines = (result.stderr or result.stdout).strip().splitlines()
        return lines[-1][:300] if lines else f"exit code {result.returncode}"
    return ""
