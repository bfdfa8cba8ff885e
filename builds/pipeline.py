"""One build, start to finish: claim → clone → pull bases → build → push → a final state.

Called by the Celery task with a build id. Every step's output goes through the LogWriter;
every state change is saved with its timestamp, then published. Safe to run twice: only the
run whose conditional UPDATE claims the queued build does anything.

What keeps a build apart from others (README, "What a build can see and reach"): its
repository's own layer store (builds.stores), bases pulled with the starter's rights just
before the build (builds.bases), RUN steps in a network of their own without the worker's
loopback (builds.network), a registry credential only while it pulls or pushes
(builds.credentials), and secrets masked in everything stored.
"""

import logging
import re
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from builds import (
    bases,
    clone,
    credentials,
    dockerfile,
    mounts,
    network,
    processes,
    sandbox,
    stores,
)
from builds.builders import BuildSpec, get_backend, registry_host
from builds.events import build_event_record
from builds.logs import LogWriter, publish_status
from builds.models import Build, BuildSecret
from hub import crypto
from hub.registry import tokens

log = logging.getLogger(__name__)
HEARTBEAT_SECONDS = 10
DIGEST_RE = re.compile(r"digest: (sha256:[0-9a-f]{64})")


class Failed(Exception):
    """The build failed for a reason of the user's (message shown as the build's error)."""


USER_FAILURES = (
    processes.CommandFailed,
    Failed,
    clone.CloneFailed,
    bases.BaseRefused,
    mounts.MountRefused,
    dockerfile.DockerfileError,
)


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
        fields["credential_jti"] = ""  # whatever credential it still had stops working
    Build.objects.filter(pk=build.pk).update(status=status, heartbeat_at=now, **fields)
    for key, value in {"status": status, **fields}.items():
        setattr(build, key, value)
    if status in Build.FINAL:
        build_event_record(build=build)
    publish_status(build)


class Run:
    def __init__(self, build: Build, hostname: str):
        self.build = build
        self.hostname = hostname
        self.deadline = time.monotonic() + settings.WHARF_BUILD_TIMEOUT
        self.log = LogWriter(build)
        login = build.source_login()
        if login:
            self.log.add_secret(login[1])
        self.secrets = self._secrets()
        self.env: dict[str, str] = {}
        self.last_check = 0.0
        self.cancelled = False

    def _secrets(self) -> dict[str, str]:
        values = {}
        for secret in BuildSecret.objects.filter(repository_id=self.build.repository_id):
            try:
                values[secret.name] = crypto.decrypt(secret.value)
            except crypto.Unreadable:
                self.log.line(
                    f"note: the secret {secret.name} cannot be read since SECRET_KEY changed; "
                    "set it again in the build settings"
                )
                continue
            self.log.add_secret(values[secret.name])
        return values

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

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
        shown: str,
        sandboxed: bool = True,
        also: Callable[[str], None] | None = None,
        deadline: float | None = None,
        net: network.PrivateNetwork | None = None,
        jail: tuple[Path, ...] = (),
        **kwargs,
    ) -> None:
        """Run a command of the build (as the build user unless ``sandboxed`` is false).

        The log gets ``shown`` for everyone and the full command for those who may push; the
        command's lines go to the log, and to ``also`` when given.
        """
        self.log.line(shown)
        self.log.line("$ " + " ".join(args), private=True)

        def on_line(line: str) -> None:
            self.log.output(line)
            if also is not None:
                also(line)

        processes.run_streaming(
            self.sandbox.command(args, net=net, jail=jail) if sandboxed else args,
            on_line=on_line,
            should_stop=self.should_stop,
            deadline=deadline or self.deadline,
            failure=failure,
            on_start=net.attach if net is not None else None,
            **kwargs,
        )

    # --- the steps ---
    def prepare(self) -> Path:
        """Decide who builds (said in the log), find the repository's store, make the build's
        scratch directory."""
        self.sandbox = sandbox.current()
        if self.sandbox.note:
            self.log.line(self.sandbox.note)
        self.store = stores.store_for(self.sandbox, self.build.repository_id)
        self.backend = get_backend(self.sandbox, self.store)
        home_files = self.backend.home_files()
        if settings.WHARF_BUILD_ALLOW_LOCAL_SOURCES:
            # A local repository belongs to someone else than the build user; git refuses to
            # read it unless the user's own config marks it safe.
            home_files[".gitconfig"] = "[safe]\n\tdirectory = *\n"
        workdir = self.sandbox.scratch(self.build.pk, home_files)
        # Public lines show where things are in the repository, not on the worker's disk.
        for root in {str(self.sandbox.root), str(self.sandbox.root.resolve())}:
            self.log.add_redaction(f"{root}/work/{workdir.name}/src", "<repository>")
            self.log.add_redaction(f"{root}/work/{workdir.name}", "<build>")
            self.log.add_redaction(root, "<workspace>")
        return workdir

    def spec(self, checkout: Path, workdir: Path) -> BuildSpec:
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
        if dockerfile.name.endswith(".in"):
            # buildah runs such a file through cpp first, whose #include could pull in lines
            # (and files of the worker's) that nobody checked.
            raise Failed(
                f"{build.dockerfile!r} ends in .in, which the builder would preprocess with cpp; "
                "this hub builds plain Dockerfiles: rename it"
            )
        spec = BuildSpec(
            context_dir=context,
            dockerfile=dockerfile,
            build_args=build.build_args,
            no_cache=build.no_cache,
            image=f"localhost/wharf-build:{build.pk}",
            # One local name per rule, kept after the push: a prune keeps what a name leads to,
            # so the rule's next build finds its steps cached (builds.stores).
            cache_name=stores.cache_name(build.rule_id),
            scratch=workdir,
        )
        for number, (name, value) in enumerate(self.secrets.items()):
            path = workdir / f"secret-{number}"
            self.sandbox.write(path, value, secret=True)
            spec.secrets[name] = path
        return spec

    def build_and_push(self, checkout: Path, workdir: Path) -> str:
        build, backend = self.build, self.backend
        spec = self.spec(checkout, workdir)
        self.env = backend.env(spec)
        text = bases.read_dockerfile(spec.dockerfile)
        allowed = {"context": spec.context_dir, "secrets": set(self.secrets)}
        mounts.check(dockerfile.mounts(text), **allowed)
        if backend.prepulls:
            for image in bases.pull(self, spec, text):
                origin = f"the ONBUILD triggers of {image.reference}, "
                triggers = bases.onbuild_triggers(self, spec, image)
                try:
                    found = dockerfile.trigger_mounts(triggers)
                except dockerfile.DockerfileError as error:
                    raise mounts.MountRefused(f"{origin}{error}") from None
                mounts.check(found, origin=origin, **allowed)
        _set_status(build, Build.Status.BUILDING)
        net = None
        if backend.sandboxed and self.sandbox.private_network:
            resolv = None
            if network.host_resolvers_are_loopback():
                resolv = workdir / "resolv.conf"
                self.sandbox.write(resolv, f"nameserver {network.SLIRP_DNS}\n")
            net = network.PrivateNetwork(resolv)
        try:
            if not backend.prepulls:  # docker build --pull fetches its bases with this
                secret = credentials.issue(build, phase=credentials.PULL, ttl=self.remaining())
                self.log.add_secret(secret)
                backend.login_file(spec, tokens.BUILD_USERNAME, secret)
            root = self.sandbox.worker_dir(workdir / "root")  # builds.jail mounts its root here
            self.run(
                backend.build_command(spec),
                "the build failed",
                shown=spec.summary(backend.name),
                sandboxed=backend.sandboxed,
                env=self.env,
                cwd=str(spec.context_dir),
                net=net,
                jail=(root, self.store.path, workdir),
            )
        except network.NetworkError as error:
            raise Failed(f"could not give the build its own network: {error}") from None
        finally:
            if net is not None:
                net.close()
            credentials.revoke(build)
            for path in spec.secrets.values():
                path.unlink(missing_ok=True)
        try:
            return self._push(spec, workdir)
        finally:
            untag = backend.untag_command(spec)
            untag = self.sandbox.command(untag) if backend.sandboxed else untag
            try:  # quietly: after a failed build there is no such name
                subprocess.run(untag, env=self.env, capture_output=True, timeout=120)
            except (OSError, subprocess.TimeoutExpired):
                log.warning("build %s: could not untag %s", build.pk, spec.image)

    def _push(self, spec: BuildSpec, workdir: Path) -> str:
        build, backend = self.build, self.backend
        image_id = self.sandbox.read_output(spec.iidfile)
        if not image_id:
            raise Failed("the builder reported no image ID")
        _set_status(build, Build.Status.PUSHING)
        secret = credentials.issue(build, phase=credentials.PUSH, ttl=self.remaining())
        self.log.add_secret(secret)
        backend.login_file(spec, tokens.BUILD_USERNAME, secret)
        digest = ""
        short_sha = build.commit_sha[:7]
        try:
            for tag in build.tags:
                tag = tag.replace("{short_sha}", short_sha)
                target = f"{registry_host()}/{build.repository.full_name}:{tag}"
                digest_file = workdir / "out" / f"digest-{tag}"
                self.log.line(f"Pushing {build.repository.full_name}:{tag}")
                said: list[str] = []  # `docker push` prints "<tag>: digest: sha256:… size: …"
                self.run(
                    backend.push_command(spec, image_id, target, digest_file),
                    f"pushing {tag} failed",
                    shown=f"$ {backend.name} push {build.repository.full_name}:{tag}",
                    sandboxed=backend.sandboxed,
                    env=self.env,
                    also=lambda line, said=said: said.extend(DIGEST_RE.findall(line)),
                )
                digest = self.sandbox.read_output(digest_file) or (said[-1] if said else "")
        finally:
            credentials.revoke(build)
            spec.auth_file.unlink(missing_ok=True)
            shutil.rmtree(spec.scratch / "docker", ignore_errors=True)
        return digest


def run(build_id: int, *, hostname: str = "worker") -> bool:
    """Run a queued build. False when its repository's store is in use (another of its builds,
    or a prune): the caller tries again later and the build stays queued. True otherwise, also
    when there was nothing to do (another run claimed it, or it was cancelled).

    One build of a repository at a time: buildah updates an image's names read-modify-write,
    so two builds of one store at once that end with the same image (a Dockerfile that only
    says FROM, a fully cached one) could each drop the other's name mid-build.
    """
    queued = Build.objects.filter(pk=build_id, status=Build.Status.QUEUED, cancel_requested=False)
    repository_id = queued.values_list("repository_id", flat=True).first()
    if repository_id is None:
        return True
    try:
        store = stores.store_for(sandbox.current(), repository_id)
    except OSError:  # the workspace is unusable: the run says so in the build's log and error
        _run_claimed(build_id, hostname)
        return True
    try:
        with stores.locked(store, exclusive=True, wait=False):
            _run_claimed(build_id, hostname)
    except stores.Busy:
        return False
    return True


def _run_claimed(build_id: int, hostname: str) -> None:
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
    build = Build.objects.select_related("repository__namespace__owner", "triggered_by").get(
        pk=build_id
    )
    publish_status(build)
    job = Run(build, hostname)
    workdir = None
    try:
        workdir = job.prepare()
        checkout, sha = clone.clone(job, workdir)
        mounts.seal(job.sandbox, checkout)  # from here on the build user cannot change it
        Build.objects.filter(pk=build.pk).update(commit_sha=sha)
        build.commit_sha = sha
        job.log.line(f"Checked out commit {sha}")
        digest = job.build_and_push(checkout, workdir)
        if not digest:
            raise Failed("the push reported no digest")
        job.log.line(f"Pushed {digest}")
        job.log.flush()
        _set_status(build, Build.Status.SUCCESS, digest=digest)
    except processes.Cancelled:
        reason = Build.objects.filter(pk=build.pk).values_list("cancel_reason", flat=True).first()
        job.log.line(f"Build cancelled: {reason}." if reason else "Build cancelled.")
        job.log.flush()
        _set_status(build, Build.Status.CANCELLED)
    except processes.TimedOut:
        job.log.line(f"Build timed out after {settings.WHARF_BUILD_TIMEOUT} s.")
        job.log.flush()
        _set_status(build, Build.Status.TIMED_OUT, error="timed out")
    except USER_FAILURES as exc:
        message = job.log.clean(str(exc))
        job.log.line(f"Build failed: {message}")
        job.log.flush()
        _set_status(build, Build.Status.FAILED, error=message[:1000])
    except Exception as exc:  # Wharf's own fault: say so, keep the details in the worker log
        log.exception("build %s: internal error", build_id)
        job.log.line(f"Wharf internal error: {type(exc).__name__}")
        job.log.flush()
        _set_status(build, Build.Status.ERROR, error=f"internal error: {type(exc).__name__}")
    finally:
        if workdir:
            shutil.rmtree(workdir, ignore_errors=True)
