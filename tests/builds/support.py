"""Helpers of the end-to-end build tests: git repositories made here, builds started and
awaited, their logs read."""

import subprocess
import time
from pathlib import Path

from builds.models import Build
from builds.services import build_create


def git(*args, cwd):
    subprocess.run(
        ["git", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
        env={
            "PATH": "/usr/bin:/bin",
            "HOME": str(cwd),
            "GIT_AUTHOR_NAME": "t",
            "GIT_AUTHOR_EMAIL": "t@example.test",
            "GIT_COMMITTER_NAME": "t",
            "GIT_COMMITTER_EMAIL": "t@example.test",
        },
    )


def make_git_repo(path: Path, files: dict[str, str]) -> Path:
    path.mkdir(parents=True)
    git("init", "-q", "-b", "main", cwd=path)
    for name, content in files.items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_text(content)
    git("add", "-A", cwd=path)
    git("commit", "-q", "-m", "first", cwd=path)
    return path


def still_running(command: str, *, within: float) -> str:
    """The processes running ``command`` that are left after ``within`` seconds, if any."""
    deadline = time.monotonic() + within
    while True:
        found = subprocess.run(["pgrep", "-af", command], capture_output=True, text=True).stdout
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def wait_final(build: Build, timeout: float = 180) -> Build:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        build.refresh_from_db()
        if build.is_final:
            return build
        time.sleep(0.3)
    raise AssertionError(f"build {build.pk} still {build.status} after {timeout}s")


def log_text(build: Build) -> str:
    return "\n".join(build.log_lines.order_by("seq").values_list("text", flat=True))


def start(repo, source: Path, **kwargs) -> Build:
    defaults = {"source_url": f"file://{source}", "source_ref": "main", "tags": ["latest"]}
    return build_create(repository=repo, **{**defaults, **kwargs})


class GitHttpServer:
    """git's smart HTTP protocol (``git http-backend``) on 127.0.0.1, behind Basic auth.

    Serves the bare repositories under ``root`` to clients that log in as ``username`` with
    ``password``; everyone else gets a 401 challenge, as a private repository on a git host.
    Without a username it serves anyone. ``logins`` records the credentials each request
    carried. ``gated``: every request waits until ``open()``, so a build stays "cloning" for
    as long as a test looks at it.
    """

    def __init__(self, root: Path, username: str = "", password: str = "", gated=False):
        import base64
        import http.server
        import threading

        self.root = root
        self.expected = (
            "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()
            if username
            else None
        )
        self.logins: list[str] = []
        self.gate = threading.Event()
        if not gated:
            self.gate.set()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                self._serve()

            def do_POST(self):
                self._serve()

            def _serve(self):
                server.gate.wait(timeout=120)
                auth = self.headers.get("Authorization", "")
                server.logins.append(auth)
                if server.expected is not None and auth != server.expected:
                    self.send_response(401)
                    self.send_header("WWW-Authenticate", 'Basic realm="git"')
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                path, _, query = self.path.partition("?")
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                env = {
                    "PATH": "/usr/bin:/bin",
                    "GIT_PROJECT_ROOT": str(server.root),
                    "GIT_HTTP_EXPORT_ALL": "1",
                    "PATH_INFO": path,
                    "QUERY_STRING": query,
                    "REQUEST_METHOD": self.command,
                    "CONTENT_TYPE": self.headers.get("Content-Type", ""),
                    "CONTENT_LENGTH": str(len(body)),
                    "HTTP_CONTENT_ENCODING": self.headers.get("Content-Encoding", ""),
                    "GIT_PROTOCOL": self.headers.get("Git-Protocol", ""),
                    "REMOTE_USER": "git",
                }
                result = subprocess.run(
                    ["git", "http-backend"], input=body, env=env, capture_output=True
                )
                head, _, payload = result.stdout.partition(b"\r\n\r\n")
                status = 200
                headers = []
                for line in head.decode().split("\r\n"):
                    name, _, value = line.partition(":")
                    if name.lower() == "status":
                        status = int(value.split()[0])
                    elif name:
                        headers.append((name, value.strip()))
                self.send_response(status)
                for name, value in headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def open(self):
        self.gate.set()

    def close(self):
        self.gate.set()
        self.httpd.shutdown()
        self.httpd.server_close()


def bare_repo(source: Path, served: Path, name: str) -> Path:
    """A bare clone of ``source`` under ``served``, as a git host keeps it."""
    served.mkdir(parents=True, exist_ok=True)
    target = served / name
    subprocess.run(["git", "clone", "-q", "--bare", str(source), str(target)], check=True)
    return target
