"""A network of its own for a build's RUN steps: outbound access, but not the host's loopback.

buildah's chroot isolation runs RUN steps in the network namespace buildah itself is in, and
refuses to make another one (``--network`` other than host). So the builder starts in a fresh
network namespace (``unshare --net``, as root, before dropping to the build user), and
slirp4netns — the user-mode network rootless podman uses — connects it to the outside from the
host's side, with ``--disable-host-loopback``: a RUN step reaches the internet and the network
around the host, never a service listening on the worker's 127.0.0.1 (Redis, PostgreSQL, the
hub's own ports).

The command waits behind a gate (its stdin; the script is builds.jail's) until slirp4netns
reports the interface up, so its first packet already has somewhere to go. slirp4netns dies
with the command's namespace, with the worker (parent-death signal) and when the worker closes
its exit pipe.
"""

import ctypes
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

SLIRP_TAP = "tap0"
SLIRP_DNS = "10.0.2.3"  # slirp4netns forwards DNS sent here to the host's resolvers
START_TIMEOUT = 10.0


class NetworkError(RuntimeError):
    """The private network could not be set up for this command."""


def _die_with_parent() -> None:
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def host_resolvers_are_loopback(path: Path = Path("/etc/resolv.conf")) -> bool:
    """Whether every nameserver of the host is on its loopback (systemd-resolved's 127.0.0.53),
    which a RUN step in its own namespace cannot reach: it is then given slirp4netns's DNS."""
    try:
        lines = path.read_text().splitlines()
    except OSError:
        return False
    servers = [line.split()[1] for line in lines if line.split()[:1] == ["nameserver"]]
    servers = [s for s in servers if len(s) > 0]
    return bool(servers) and all(s.startswith("127.") or s == "::1" for s in servers)


class PrivateNetwork:
    """One command's network namespace and its slirp4netns, started around ``Popen``.

    builds.sandbox makes the command start in a new network namespace behind the gate;
    ``attach`` (given the started process) connects the namespace and opens the gate;
    ``close`` ends slirp4netns.
    """

    def __init__(self, resolv_conf: Path | None = None):
        self.resolv_conf = resolv_conf
        self.slirp: subprocess.Popen | None = None
        self._exit_write: int | None = None

    def attach(self, proc: subprocess.Popen) -> None:
        """Connect the namespace ``proc`` made, then let the command go (via ``proc.stdin``)."""
        mine = os.readlink("/proc/self/ns/net")
        deadline = time.monotonic() + START_TIMEOUT
        while True:  # unshare makes the namespace just after it starts
            try:
                if os.readlink(f"/proc/{proc.pid}/ns/net") != mine:
                    break
            except OSError:
                raise NetworkError("the build command exited before its network was made") from None
            if time.monotonic() > deadline or proc.poll() is not None:
                raise NetworkError("the build command did not make its network namespace")
            time.sleep(0.002)
        ready_read, ready_write = os.pipe()
        exit_read, self._exit_write = os.pipe()
        try:
            self.slirp = subprocess.Popen(
                [
                    "slirp4netns",
                    "--configure",
                    "--mtu=65520",
                    "--disable-host-loopback",
                    f"--ready-fd={ready_write}",
                    f"--exit-fd={exit_read}",
                    str(proc.pid),
                    SLIRP_TAP,
                ],
                pass_fds=(ready_write, exit_read),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                preexec_fn=_die_with_parent,
            )
        except OSError as exc:
            os.close(ready_read)
            raise NetworkError(f"slirp4netns did not start: {exc}") from None
        finally:
            os.close(ready_write)
            os.close(exit_read)
        try:
            ready = _read_with_timeout(ready_read, START_TIMEOUT)
        finally:
            os.close(ready_read)
        if ready != b"1":
            error = ""
            if self.slirp.poll() is not None and self.slirp.stderr is not None:
                error = self.slirp.stderr.read().decode("utf-8", "replace").strip()[-300:]
            self.close()
            raise NetworkError(f"slirp4netns did not connect the build's network {error}".strip())
        proc.stdin.write(b"go\n")
        proc.stdin.close()

    def close(self) -> None:
        if self._exit_write is not None:
            os.close(self._exit_write)  # slirp4netns exits when this closes
            self._exit_write = None
        if self.slirp is not None:
            try:
                self.slirp.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.slirp.kill()
                self.slirp.wait()
            if self.slirp.stderr is not None:
                self.slirp.stderr.close()
            self.slirp = None


def _read_with_timeout(fd: int, timeout: float) -> bytes:
    import select

    ready, _, _ = select.select([fd], [], [], timeout)
    return os.read(fd, 1) if ready else b""


def probe() -> str:
    """Empty when this host can give commands a private network; else why not."""
    from builds import jail

    if shutil.which("slirp4netns") is None:
        return "slirp4netns is not installed (apt-get install slirp4netns)"
    network = PrivateNetwork()
    try:
        proc = subprocess.Popen(
            ["unshare", "--net", "--", *jail.wrap(["true"], gate=True)],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
    except OSError as exc:
        return str(exc)
    try:
        network.attach(proc)
        proc.wait(timeout=START_TIMEOUT)
    except (NetworkError, subprocess.TimeoutExpired) as exc:
        proc.kill()
        proc.wait()
        error = (proc.stderr.read() if proc.stderr else b"").decode("utf-8", "replace").strip()
        return f"{exc}{': ' + error[-200:] if error else ''}"
    finally:
        network.close()
        if proc.stderr:
            proc.stderr.close()
    if proc.returncode != 0:
        return f"a command in its own network namespace exited with {proc.returncode}"
    return ""
