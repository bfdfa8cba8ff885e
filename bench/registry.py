"""Push and pull a 256 MiB, 4-layer image with skopeo: Wharf against the reference registry.

    .venv/bin/python bench/registry.py [--rounds 3] [--size-mib 256] [--layers 4]
    .venv/bin/python bench/registry.py --rounds 1 --size-mib 1024 --layers 1   # memory check

Starts Wharf (`manage.py serve`, SQLite and a private Redis in a scratch data dir) and the
reference registry (Debian's docker-registry, filesystem storage) on loopback ports, then for each
round makes a fresh random image and pushes it to both, alternately, then pulls it from both.
Prints the median seconds, the ratio Wharf/reference and the peak RSS of Wharf's web process.
"""

import argparse
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.request
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from hub.registry.ocilayout import LAYER_TAR, LayoutWriter  # noqa: E402


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_http(url: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except urllib.error.HTTPError:
            return  # answering, even if with 401
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not answer")


def make_image(dest: Path, size_mib: int, layers: int = 4) -> Path:
    """Random, incompressible layers written straight to disk (never all in memory)."""
    writer = LayoutWriter(dest)
    descriptors = []
    per_layer = size_mib * 1024 * 1024 // layers
    for i in range(layers):
        tar_path = dest / f"layer{i}.tar"
        payload = dest / f"payload{i}"
        with open(payload, "wb") as fh:
            for _ in range(per_layer // (1 << 20)):
                fh.write(os.urandom(1 << 20))
        with tarfile.open(tar_path, "w") as tar:
            tar.add(payload, arcname=f"data/{i}.bin")
        payload.unlink()
        descriptor = writer.add_file(tar_path, LAYER_TAR)
        descriptors.append((descriptor, descriptor["digest"]))  # uncompressed: diff_id == digest
    writer.add_image(layers=descriptors, config={"architecture": "amd64", "os": "linux"}, tag="v1")
    writer.close()
    return dest


def skopeo(args: list[str], home: Path) -> float:
    env = {**os.environ, "HOME": str(home)}  # a fresh blob-info cache: no mount shortcuts
    start = time.perf_counter()
    subprocess.run(
        ["skopeo", "--insecure-policy", *args],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    return time.perf_counter() - start


def peak_rss_mib(pid: int) -> float:
    """Peak resident set size (VmHWM) of ``pid`` and its children, in MiB."""
    total = 0
    pids = [pid] + [
        int(p)
        for p in subprocess.run(
            ["pgrep", "-P", str(pid)], capture_output=True, text=True
        ).stdout.split()
    ]
    for p in pids:
        for line in Path(f"/proc/{p}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                total += int(line.split()[1])
    return total / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--size-mib", type=int, default=256)
    parser.add_argument("--layers", type=int, default=4)
    args = parser.parse_args()
    registry_bin = shutil.which("docker-registry")
    if registry_bin is None:
        raise SystemExit("the reference registry is missing: apt-get install docker-registry")

    scratch = Path(tempfile.mkdtemp(prefix="wharf-bench-"))
    procs: list[subprocess.Popen] = []
    try:
        wharf_port, ref_port = free_port(), free_port()
        env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
        env.update(
            WHARF_DATA_DIR=str(scratch / "wharf"),
            PORT=str(wharf_port),
            HOST="127.0.0.1",
            WHARF_URL=f"http://127.0.0.1:{wharf_port}",
        )
        python = str(BASE_DIR / ".venv" / "bin" / "python")
        subprocess.run([python, "manage.py", "migrate", "-v0"], cwd=BASE_DIR, env=env, check=True)
        token = (
            subprocess.run(
                [
                    python,
                    "manage.py",
                    "shell",
                    "-c",
                    "from accounts.services import user_create, access_token_create as t;"
                    "u = user_create(username='bench', email='b@example.test',"
                    " password='bench-pass-1');"
                    "print(t(user=u, description='bench', scope='read_write')[1])",
                ],
                cwd=BASE_DIR,
                env=env,
                check=True,
                capture_output=True,
                text=True,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        log = open(scratch / "wharf.log", "w")
        serve = subprocess.Popen(
            [python, "manage.py", "serve", "--no-migrate"],
            cwd=BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        procs.append(serve)
        config = scratch / "registry.yml"
        config.write_text(
            "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n"
            f"    rootdirectory: {scratch / 'reference'}\n  delete:\n    enabled: true\n"
            f"http:\n  addr: 127.0.0.1:{ref_port}\n"
        )
        procs.append(
            subprocess.Popen(
                [registry_bin, "serve", str(config)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        wait_http(f"http://127.0.0.1:{wharf_port}/v2/")
        wait_http(f"http://127.0.0.1:{ref_port}/v2/")
        web_pid = int(
            subprocess.run(
                ["pgrep", "-f", f"uvicorn.*--port {wharf_port}"], capture_output=True, text=True
            ).stdout.split()[0]
        )
        rss_before = peak_rss_mib(web_pid)

        targets = {
            "wharf": (
                f"127.0.0.1:{wharf_port}/bench",
                ["--dest-creds", f"bench:{token}"],
                ["--src-creds", f"bench:{token}"],
            ),
            "reference": (f"127.0.0.1:{ref_port}/bench", [], []),
        }
        times = {(who, op): [] for who in targets for op in ("push", "pull")}
        for round_no in range(1, args.rounds + 1):
            image = make_image(scratch / f"image{round_no}", args.size_mib, args.layers)
            order = ["wharf", "reference"] if round_no % 2 else ["reference", "wharf"]
            for who in order:
                repo, push_creds, _ = targets[who]
                home = Path(tempfile.mkdtemp(dir=scratch))
                times[(who, "push")].append(
                    skopeo(
                        [
                            "copy",
                            "--dest-tls-verify=false",
                            *push_creds,
                            f"oci:{image}:v1",
                            f"docker://{repo}/img{round_no}:v1",
                        ],
                        home,
                    )
                )
            for who in order:
                repo, _, pull_creds = targets[who]
                home = Path(tempfile.mkdtemp(dir=scratch))
                times[(who, "pull")].append(
                    skopeo(
                        [
                            "copy",
                            "--src-tls-verify=false",
                            *pull_creds,
                            f"docker://{repo}/img{round_no}:v1",
                            f"oci:{scratch / f'{who}-pull{round_no}'}:v1",
                        ],
                        home,
                    )
                )
                shutil.rmtree(scratch / f"{who}-pull{round_no}")
            shutil.rmtree(image)
            print(
                f"round {round_no}: "
                + ", ".join(f"{who} {op} {times[(who, op)][-1]:.2f}s" for who, op in times),
                flush=True,
            )

        print(f"\n{args.size_mib} MiB, {args.layers} layers, {args.rounds} rounds (median seconds)")
        print(f"{'':8}{'wharf':>10}{'reference':>12}{'ratio':>8}")
        for op in ("push", "pull"):
            wharf = statistics.median(times[("wharf", op)])
            ref = statistics.median(times[("reference", op)])
            print(f"{op:8}{wharf:>10.2f}{ref:>12.2f}{wharf / ref:>8.2f}")
        print(
            f"wharf web peak RSS: {peak_rss_mib(web_pid):.0f} MiB (at start {rss_before:.0f} MiB)"
        )
    finally:
        for proc in procs:
            if proc.poll() is None:
                if proc is procs[0]:
                    os.killpg(proc.pid, signal.SIGTERM)
                else:
                    proc.terminate()
                proc.wait(timeout=30)
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
