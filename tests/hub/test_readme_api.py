"""The README's REST API example, run as written against a live hub, so the two cannot drift.

The block is taken from README.md's "## REST API" section and run by bash, top to bottom, with
curl, jq and skopeo. Only its first line changes: the reader's settings (hub URL, password,
access token) become this test's. Each curl fails the run on an HTTP error (--fail-with-body),
which the README's plain `curl -s` would only print.
"""

import json
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from accounts.models import AccessToken
from hub.management.commands.serve import Command as ServeCommand
from hub.models import Repository, Star, Tag
from tests.factories import PASSWORD, UserFactory, make_token

BASE_DIR = Path(__file__).resolve().parents[2]
SETTINGS_LINE = re.compile(r"HUB=http://localhost:8000 PASSWORD='[^']*' PAT='[^']*'")

# Before the block: stop at the first failing command (also inside $(…) and pipes), print each
# command on stderr, and make curl fail on a 4xx/5xx answer while still showing its body.
PRELUDE = """\
set -euo pipefail
shopt -s inherit_errexit
set -x
curl() { command curl --fail-with-body --show-error "$@" && echo; }
"""


def readme_api_block() -> str:
    readme = (BASE_DIR / "README.md").read_text()
    section = readme.split("\n## REST API\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"^```sh\n(.*?)^```$", section, re.M | re.S)
    assert len(blocks) == 1, f"the REST API section should have one sh block, has {len(blocks)}"
    return blocks[0]


def with_settings(block: str, *, hub: str, password: str, pat: str) -> str:
    first, rest = block.split("\n", 1)
    assert SETTINGS_LINE.fullmatch(first), (
        f"the block's first line sets HUB, PASSWORD and PAT for the reader, got {first!r}"
    )
    settings = f"HUB={shlex.quote(hub)} PASSWORD={shlex.quote(password)} PAT={shlex.quote(pat)}"
    return f"{settings}\n{rest}"


def test_the_block_is_found_and_its_settings_line_replaced():
    block = readme_api_block()
    script = with_settings(block, hub="http://127.0.0.1:1", password="p w", pat="whf_pat_x")
    assert script.startswith("HUB=http://127.0.0.1:1 PASSWORD='p w' PAT=whf_pat_x\n")
    assert script.split("\n", 1)[1] == block.split("\n", 1)[1]
    assert "/tags/" in script and "skopeo copy" in script


@pytest.mark.integration
def test_readme_rest_api_sequence_runs_top_to_bottom(asgi_server, settings, tmp_path):
    for tool in ("bash", "curl", "jq", "skopeo"):
        assert shutil.which(tool), f"{tool} is missing: bash scripts/setup.sh test installs it"
    # The registry's token realm is WHARF_URL: skopeo must be sent back to this server.
    settings.WHARF_URL = asgi_server.url
    ServeCommand().seed_busybox()  # what `make run` gives a fresh hub
    busybox = Tag.objects.get(repository__namespace__name="library", name="latest")
    alice = UserFactory(username="alice")
    _, pat = make_token(alice, scope=AccessToken.Scope.READ_WRITE_DELETE, description="readme")

    script = with_settings(readme_api_block(), hub=asgi_server.url, password=PASSWORD, pat=pat)
    home = tmp_path / "home"
    home.mkdir()
    result = subprocess.run(
        ["bash", "-c", PRELUDE + script],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
        env={"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(home),
             "REGISTRY_AUTH_FILE": str(home / "auth.json"), "XDG_RUNTIME_DIR": str(home)},
    )  # fmt: skip
    assert result.returncode == 0, f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"

    answers = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert [a["username"] for a in answers if "username" in a] == ["alice", "alice"]
    web = Repository.objects.get(namespace__name="alice", name="web")
    assert web.is_private and web.description == "Our web app"
    assert web.full_description == "# Web\nRuns on port 8080."
    # latest was pushed, tagged anew as stable, then deleted: stable is the busybox image.
    assert [(t.name, t.manifest.digest) for t in web.tags.select_related("manifest")] == [
        ("stable", busybox.manifest.digest)
    ]
    tags_answer = next(a for a in answers if "results" in a and a["results"][:1] and
                       a["results"][0].get("name") == "stable")  # fmt: skip
    assert [t["name"] for t in tags_answer["results"]] == ["stable"]
    assert Star.objects.filter(user=alice, repository=busybox.repository).exists()
    search = answers[-1]
    assert [(r["namespace"], r["name"]) for r in search["results"]] == [("library", "busybox")]
