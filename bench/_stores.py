"""The registries bench/registry.py measures: Wharf and the reference registry on the
filesystem, and with ``--storage s3`` the same two on S3 as well (Wharf streaming blobs, and
Wharf redirecting blob GETs to presigned URLs), all on one moto S3 server on a loopback port.

moto (tests/s3.py's server, `bash scripts/setup.sh bench` installs it) is the S3 here: it is a
Python server holding objects in memory, so the S3 columns measure it as much as the
registries; the reference registry on the same server is the yardstick for that.
"""

import contextlib
import json
import secrets
import shutil
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from bench._common import (
    MANIFEST_ACCEPT,
    Wharf,
    manifest_digest,
    scratch_database,
    start_reference,
    start_wharf,
    stop,
    stop_wharf,
)


@dataclass
class Target:
    """One registry under measure: where skopeo pushes and pulls, with what credentials."""

    name: str
    host: str
    wharf: Wharf | None = None  # None: the reference registry, without auth
    buckets: list[str] = field(default_factory=list)  # emptied after each round

    def push_creds(self) -> list[str]:
        return ["--dest-creds", f"{self.wharf.user}:{self.wharf.pat}"] if self.wharf else []

    def pull_creds(self) -> list[str]:
        return ["--src-creds", f"{self.wharf.user}:{self.wharf.pat}"] if self.wharf else []

    def digest(self, repo: str, tag: str) -> str:
        token = self.wharf.token(f"repository:{repo}:pull") if self.wharf else None
        return manifest_digest(self.host, repo, tag, token)

    def blob_status(self, repo: str, tag: str) -> int:
        """The status a GET of the image's first layer gets, redirects not followed: 200 when
        the registry sends the bytes, 307 when it sends the client to S3."""
        headers = {"Accept": MANIFEST_ACCEPT}
        if self.wharf:
            headers["Authorization"] = f"Bearer {self.wharf.token(f'repository:{repo}:pull')}"
        url = f"http://{self.host}/v2/{repo}"
        request = urllib.request.Request(f"{url}/manifests/{tag}", headers=headers)
        with urllib.request.urlopen(request, timeout=30) as response:
            layer = json.load(response)["layers"][0]["digest"]
        request = urllib.request.Request(f"{url}/blobs/{layer}", headers=headers)
        try:
            with _no_redirects.open(request, timeout=30) as response:
                return response.status
        except urllib.error.HTTPError as exc:  # urllib raises for the 307 it does not follow
            return exc.code


class _KeepRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_no_redirects = urllib.request.build_opener(_KeepRedirects)


@contextlib.contextmanager
def registries(wharf_dir: Path, database_url: str | None, storage: str):
    """(scratch dir, the targets, a function emptying the S3 buckets), all stopped and removed
    on exit. ``storage``: "filesystem" (Wharf and the reference) or "s3" (both, on the
    filesystem and on S3, and Wharf on S3 with WHARF_S3_REDIRECT=1)."""
    with contextlib.ExitStack() as stack:
        scratch = Path(tempfile.mkdtemp(prefix="wharf-bench-"))
        stack.callback(shutil.rmtree, scratch, ignore_errors=True)
        targets = []
        s3 = stack.enter_context(_moto(scratch)) if storage == "s3" else None

        def wharf(name: str, extra_env: dict[str, str], buckets: list[str]) -> None:
            home = scratch / name
            home.mkdir()
            url = stack.enter_context(scratch_database(database_url, f"_{len(targets)}"))
            instance = start_wharf(home, wharf_dir.resolve(), url, home / "log", extra_env)
            stack.callback(stop_wharf, instance)
            targets.append(Target(name, instance.host, instance, buckets))

        def reference(name: str, storage_yaml: str | None, buckets: list[str]) -> None:
            home = scratch / name
            home.mkdir()
            proc, host = start_reference(home, storage_yaml)
            stack.callback(stop, proc)
            targets.append(Target(name, host, None, buckets))

        wharf("wharf", {}, [])
        reference("reference", None, [])
        if s3 is not None:
            for name, redirect in (("wharf-s3", "0"), ("wharf-s3-redirect", "1")):
                bucket = s3.new_bucket()
                env = {
                    "SECRET_KEY": secrets.token_urlsafe(40),  # required with S3 (several hosts)
                    "WHARF_STORAGE_URL": f"s3://{bucket}/wharf",
                    "WHARF_S3_ENDPOINT_URL": s3.url,
                    "WHARF_S3_REGION": "us-east-1",
                    "WHARF_S3_REDIRECT": redirect,
                }
                wharf(name, env, [bucket])
            bucket = s3.new_bucket()
            # distribution redirects blob GETs to presigned URLs unless told not to.
            reference("reference-s3", _reference_s3_yaml(s3, bucket), [bucket])

        def empty_buckets() -> None:
            for target in targets:
                for bucket in target.buckets:
                    s3.empty_bucket(bucket)

        yield scratch, targets, empty_buckets


def _moto(scratch: Path):
    try:
        from tests.s3 import moto_server
    except ImportError as exc:
        raise SystemExit(f"--storage s3 needs moto ({exc}): bash scripts/setup.sh bench") from None
    return moto_server(scratch / "moto.log")  # its credentials in the environment Wharf gets


def _reference_s3_yaml(s3, bucket: str) -> str:
    from tests.s3 import ACCESS_KEY, SECRET_KEY

    return (
        "  s3:\n"
        f"    accesskey: {ACCESS_KEY}\n    secretkey: {SECRET_KEY}\n"
        f"    region: us-east-1\n    regionendpoint: {s3.url}\n"
        f"    bucket: {bucket}\n    rootdirectory: /reference\n"
        "    secure: false\n    v4auth: true\n"
    )
