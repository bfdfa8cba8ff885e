"""One build, start to finish: claim → clone → build → push → a final state.

Called by the Celery task with a build id. Every step's output goes through the LogWriter;
every state change is saved with its timestamp, then published. Safe to run twice: only the
run whose conditional UPDATE claims the queued build does anything.
"""

import logging
import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from builds import processes, sandbox
from builds.builders import BuildSpec, get_backend, registry_host
from builds.logs import LogWriter, publish_status
from builds.models import Build
from hub.registry import tokens

log = logging.getLogger(__name__)
HEARTBEAT_SECONDS = 10
DIGEST_RE = re.compile(r"digest: (sha256:[0-9a-f]{64})")


class Failed(Exception):
    """The build failed for a reason of the user's (message shown as the build's error)."""


def _set_status(build: Build, status: str, **fields) -> None:
    now = timezone.now()
    stamp = {
        Build.Status.BUILDING: "building_at",
        Build.Status.PUSHING: "pushing_at",
    }.get(status)
    if stamp:
        fields[stamp] = now
    if status in Build.FINAL:
        fields["finished_at"] = now
    Build.objects.filter(pk=build.pk).update(status=status, heartbeat_at=now, **fields)
    for key, value in {"status": status, **fields}.items():
        setattr(build, key, value)
    publish_status(build)


class Run:
    def __init__(self, build: Build, hostname: str):
        self.build = build
        self.hostname = hostname
        self.deadline = time.monotonic() + settings.WHARF_BUILD_TIMEOUT
        self.credential = tokens.issue_build_credential(
            repository=build.repository.full_name,
            build_id=build.pk,
            ttl=settings.WHARF_BUILD_TIMEOUT + 600,
        )
        self.log = LogWriter(build, secrets=[self.credential])
        self.last_check = 0.0
        self.cancelled = False

    # --- helpers for processes.run_streaming ---
    def should_stop(self) -> bool:
        """Polled while a command runs: beats the heartbeat, notices a cancel request."""
        now = time.monotonic()
        if now - self.last_check >= 1.0:
            self.last_check = now
            self.log.flush()
            if now % HEARTBEAT_SECONDS < 1.0 or not self.build.heartbeat_at:
                Build.objects.filter(pk=self.build.pk).update(heartbeat_at=timezone.now())
            self.cancelled = Build.objects.filter(pk=self.build.pk, cancel_requested=True).exists()
        return self.cancelled

    def run(
        self,
        args: list[str],
        failure: str,
        *,
        sandboxed: bool = True,
        also: Callable[[str], None] | None = None,
        **kwargs,
    ) -> None:
        """Run a command of the build (as the build user unless ``sandboxed`` is false); its
        lines go to the log, and to ``also`` when given."""
        self.log.line("$ " + " ".join(args[:1] + [a for a in args[1:] if a != self.credential]))

        def on_line(line: str) -> None:
            self.log.line(line)
            if also is not None:
                also(line)

        processes.run_streaming(
            self.sandbox.command(args) if sandboxed else args,
            on_line=on_line,
            should_stop=self.should_stop,
            deadline=self.deadline,
            failure=failure,
            **kwargs,
        )

    # --- the steps ---
    def prepare(self) -> Path:
        """Decide who builds (said in the log) and make the build's scratch directory."""
        self.sandbox = sandbox.current()
        if self.sandbox.note:
            self.log.line(self.sandbox.note)
        self.backend = get_backend(self.sandbox)
        home_files = self.backend.home_files()
        if settings.WHARF_BUILD_ALLOW_LOCAL_SOURCES:
            # A local repository belongs to someone else than the build user; git refuses to
            # read it unless the user's own config marks it safe.
            home_files[".gitconfig"] = "[safe]\n\tdirectory = *\n"
        return self.sandbox.scratch(self.build.pk, home_files)

    def clone(self, workdir: Path) -> Path:
        build = self.build
        checkout = workdir / "src"
        protocols = ["https", "http", "ssh", "git"]
        if settings.WHARF_BUILD_ALLOW_LOCAL_SOURCES:
            protocols.append("file")
        config = ["-c", "protocol.allow=never"]
        for protocol in protocols:
            config += ["-c", f"protocol.{protocol}.allow=always"]
        env = {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "HOME": str(workdir / "home"),
            "GIT_TERMINAL_PROMPT": "0",
            "GIT_SSH_COMMAND": "ssh -o BatchMode=yes -o StrictHostKeyChecking=accept-new",
        }
        self.log.line(f"Cloning {build.source_url} ({build.source_type} {build.source_ref})")
        try:
            self.run(
                [
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
                ],
                f"could not clone {build.source_url} at {build.source_type} {build.source_ref!r}",
                env=env,
            )
        except processes.CommandFailed:
            self._explain_unreadable_local_source()
            raise
        sha = self._git_output(["git", "-C", str(checkout), "rev-parse", "HEAD"], env)
        Build.objects.filter(pk=build.pk).update(commit_sha=sha)
        build.commit_sha = sha
        self.log.line(f"Checked out commit {sha}")
        return checkout

    def _explain_unreadable_local_source(self) -> None:
        """git says "does not appear to be a git repository" for a local repository the build
        user may not read, as for a missing one; say which it is."""
        url = self.build.source_url
        path = unquote(urlsplit(url).path) if url.startswith("file:") else url
        if self.sandbox.uid is None or not path.startswith("/") or not os.path.exists(path):
            return
        readable = 'test -r "$1" && { test ! -d "$1" || test -x "$1"; }'
        probe = self.sandbox.command(["sh", "-c", readable, "sh", path])
        try:
            unreadable = subprocess.run(probe, capture_output=True, timeout=30).returncode != 0
        except (OSError, subprocess.TimeoutExpired):
            return  # git's own message stands
        if unreadable:
            raise Failed(
                f"the build user {self.sandbox.user} cannot read {path}: make it readable to "
                "that user, or move the repository (not under /root)"
            )

    def _git_output(self, args: list[str], env: dict) -> str:
        result = subprocess.run(
            self.sandbox.command(args), env=env, capture_output=True, text=True, timeout=60
        )
        if result.returncode != 0:
            raise Failed(f"git failed: {result.stderr.strip()[:300]}")
        return result.stdout.strip()

    def build_and_push(self, checkout: Path, workdir: Path) -> str:
        build = self.build
        # Relative to the checkout even if a record holds "/" (validation stores ".").
        context = (checkout / (build.context.lstrip("/") or ".")).resolve()
        dockerfile = (checkout / build.dockerfile.lstrip("/")).resolve()
        root = checkout.resolve()
        # Symlinks in the repository must not lead the builder outside the checkout.
        if not context.is_relative_to(root) or not dockerfile.is_relative_to(root):
            raise Failed("the Dockerfile path or build context points outside the repository")
        if not context.is_dir():
            raise Failed(f"build context {build.context!r} is not a directory in the repository")
        if not dockerfile.is_file():
            raise Failed(f"no Dockerfile at {build.dockerfile!r} in the repository")
        backend = self.backend
        spec = BuildSpec(
            context_dir=context,
            dockerfile=dockerfile,
            build_args=build.build_args,
            no_cache=build.no_cache,
            image=f"localhost/wharf/{build.repository.full_name}:build-{build.pk}",
            # One local name per repository, kept after the push: removing the last name of the
            # image would also remove its intermediate images, the layer cache of the next build.
            cache_name=f"localhost/wharf/{build.repository.full_name}:latest",
            scratch=workdir,
        )
        backend.login_file(spec, tokens.BUILD_USERNAME, self.credential)
        env = backend.env(spec)
        _set_status(build, Build.Status.BUILDING)
        try:
            self.run(
                backend.build_command(spec),
                "the build failed",
                sandboxed=backend.sandboxed,
                env=env,
                cwd=str(context),
            )
            return self._push(spec, env, workdir)
        finally:
            untag = backend.untag_command(spec)
            untag = self.sandbox.command(untag) if backend.sandboxed else untag
            try:  # quietly: after a failed build there is no such name
                subprocess.run(untag, env=env, capture_output=True, timeout=120)
            except (OSError, subprocess.TimeoutExpired):
                log.warning("build %s: could not untag %s", build.pk, spec.image)

    def _push(self, spec: BuildSpec, env: dict, workdir: Path) -> str:
        build, backend = self.build, self.backend
        image_id = self.sandbox.read_output(spec.iidfile)
        if not image_id:
            raise Failed("the builder reported no image ID")
        _set_status(build, Build.Status.PUSHING)
        digest = ""
        short_sha = build.commit_sha[:7]
        for tag in build.tags:
            tag = tag.replace("{short_sha}", short_sha)
            target = f"{registry_host()}/{build.repository.full_name}:{tag}"
            digest_file = workdir / "out" / f"digest-{tag}"
            self.log.line(f"Pushing {build.repository.full_name}:{tag}")
            said: list[str] = []  # `docker push` prints "<tag>: digest: sha256:… size: …"
            self.run(
                backend.push_command(spec, image_id, target, digest_file),
                f"pushing {tag} failed",
                sandboxed=backend.sandboxed,
                env=env,
                also=lambda line, said=said: said.extend(DIGEST_RE.findall(line)),
            )
            digest = self.sandbox.read_output(digest_file) or (said[-1] if said else "")
        return digest


def run(build_id: int, *, hostname: str = "worker") -> None:
    """Run a queued build; returns quietly when another run claimed it or it was cancelled."""
    now = timezone.now()
    claimed = Build.objects.filter(
        Q(pk=build_id, status=Build.Status.QUEUED, cancel_requested=False)
    ).update(
        status=Build.Status.CLONING,
        started_at=now,
        cloning_at=now,
        heartbeat_at=now,
        worker=hostname,
    )
    if not claimed:
        return
    build = Build.objects.select_related("repository__namespace").get(pk=build_id)
    publish_status(build)
    job = Run(build, hostname)
    workdir = None
    try:
        workdir = job.prepare()
        checkout = job.clone(workdir)
        digest = job.build_and_push(checkout, workdir)
        if not digest:
            raise Failed("the push reported no digest")
        job.log.line(f"Pushed {digest}")
        job.log.flush()
        _set_status(build, Build.Status.SUCCESS, digest=digest)
    except processes.Cancelled:
        job.log.line("Build cancelled.")
        job.log.flush()
        _set_status(build, Build.Status.CANCELLED)
    except processes.TimedOut:
        job.log.line(f"Build timed out after {settings.WHARF_BUILD_TIMEOUT} s.")
        job.log.flush()
        _set_status(build, Build.Status.TIMED_OUT, error="timed out")
    except (processes.CommandFailed, Failed) as exc:
        job.log.line(f"Build failed: {exc}")
        job.log.flush()
        _set_status(build, Build.Status.FAILED, error=str(exc)[:1000])
    except Exception as exc:  # Wharf's own fault: say so, keep the details in the worker log
        log.exception("build %s: internal error", build_id)
        job.log.line(f"Wharf internal error: {type(exc).__name__}")
        job.log.flush()
        _set_status(build, Build.Status.ERROR, error=f"internal error: {type(exc).__name__}")
    finally:
        if workdir:
            shutil.rmtree(workdir, ignore_errors=True)


def reap_lost(*, older_than_seconds: int = 180) -> int:
    """Builds whose worker stopped beating (killed mid-build) end as errors."""
    cutoff = timezone.now() - timezone.timedelta(seconds=older_than_seconds)
    lost = list(
        Build.objects.filter(status__in=Build.RUNNING, heartbeat_at__lt=cutoff).values_list(
            "pk", flat=True
        )
    )
    for pk in lost:
        if Build.objects.filter(pk=pk, status__in=Build.RUNNING, heartbeat_at__lt=cutoff).update(
            status=Build.Status.ERROR, error="worker lost", finished_at=timezone.now()
        ):
            build = Build.objects.get(pk=pk)
            writer = LogWriter(build)
            writer.line("The worker running this build stopped answering; marked as lost.")
            writer.flush()
            publish_status(build)
    return len(lost)
