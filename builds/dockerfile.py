"""The images a Dockerfile pulls: its ``FROM`` bases, ``COPY --from`` and ``RUN --mount from=``.

A build pulls them first, through the registry and with the rights of the person who started
it, and only then runs the builder with pulling turned off (builds.pipeline): so a base image is
always read with someone's permission, never taken from what another build left behind, and RUN
steps can run without a way to the registry.

Only what decides those names is read: parser directives (``# escape=``), line continuations,
comments, ``ARG``s before the first ``FROM`` (with build args overriding their defaults) and the
``$VAR``, ``${VAR}``, ``${VAR:-word}`` and ``${VAR:+word}`` forms Docker substitutes there.
Stage names and ``scratch`` are not images.
"""

import platform
import re
from dataclasses import dataclass, field

DIRECTIVE_RE = re.compile(r"^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$")
VARIABLE_RE = re.compile(
    r"\$(?:\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?::(?P<op>[-+])(?P<word>[^}]*))?\}"
    r"|(?P<plain>[A-Za-z_][A-Za-z0-9_]*))"
)
MAX_IMAGES = 50


class DockerfileError(ValueError):
    """The Dockerfile cannot be read for its base images (the message says where)."""


@dataclass(frozen=True)
class Mount:
    """One ``RUN --mount=…``: its options with keys lowercased (a bare key, such as ``ro``,
    maps to "")."""

    line: int
    spec: str
    options: dict[str, list[str]] = field(default_factory=dict)

    @property
    def type(self) -> str:
        return (self.options.get("type") or ["bind"])[-1].lower()


@dataclass(frozen=True)
class Image:
    reference: str  # as written, variables substituted: "busybox", "host/ns/app@sha256:…"
    platform: str  # the --platform asked for, or ""
    line: int  # where it is named, for messages


def _arch() -> str:
    machine = platform.machine().lower()
    return {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm"}.get(machine, machine)


def automatic_args() -> dict[str, str]:
    """The platform ARGs BuildKit defines without a declaration, for this (the build) host."""
    arch = _arch()
    values = {"OS": "linux", "ARCH": arch, "PLATFORM": f"linux/{arch}", "VARIANT": ""}
    return {f"{kind}{key}": value for kind in ("BUILD", "TARGET") for key, value in values.items()}


def substitute(text: str, values: dict[str, str]) -> str:
    """Docker's variable substitution (the forms in the module docstring); unknown is empty."""

    def one(match: re.Match) -> str:
        name = match["braced"] or match["plain"]
        value = values.get(name, "")
        if match["op"] == "-":
            return value or match["word"]
        if match["op"] == "+":
            return match["word"] if value else ""
        return value

    return VARIABLE_RE.sub(one, text)


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """(first line number, instruction text): directives read, continuations joined.

    As buildah 1.28's parser (openshift/imagebuilder) reads them: a byte-order mark is dropped;
    only ``# escape=`` directives are directives, read until the first other line, taking the
    value's first character; a line continues when its escape character is followed by nothing
    but spaces and tabs. Where the two readers could differ, a line could slip past the checks
    (builds.mounts), so this errs towards seeing more lines, not fewer.
    """
    lines = text.removeprefix("\ufeff").replace("\r\n", "\n").split("\n")
    escape = "\\"
    start = 0
    for number, raw in enumerate(lines):  # parser directives come first, or not at all
        match = DIRECTIVE_RE.match(raw.strip(" \t"))
        if not match or match[1].lower() != "escape":
            break
        if match[2][:1] in ("\\", "`"):
            escape = match[2][:1]
        start = number + 1
    result: list[tuple[int, str]] = []
    pending, first = "", 0
    for number, raw in enumerate(lines[start:], start=start + 1):
        stripped = raw.strip()
        if stripped.startswith("#") or (pending and not stripped):
            continue  # comments go, even inside a continued instruction
        if not pending:
            first = number
        body = raw.rstrip(" \t")
        if body.endswith(escape):
            pending += body[: -len(escape)] + " "
            continue
        pending += raw
        if pending.strip():
            result.append((first, pending.strip()))
        pending = ""
    if pending.strip():
        result.append((first, pending.strip()))
    return result


def _args(words: list[str], values: dict[str, str], build_args: dict[str, str]) -> None:
    for word in words:
        name, sep, default = word.partition("=")
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            continue
        default = default.strip("\"'") if sep else ""
        values[name] = build_args.get(name, substitute(default, values))


def _flag(words: list[str], name: str) -> tuple[str, list[str]]:
    """The value of ``--name=value`` among the leading flags, and the words after the flags."""
    value = ""
    while words and words[0].startswith("--"):
        flag, _, rest = words[0][2:].partition("=")
        if flag.lower() == name:
            value = rest
        words = words[1:]
    return value, words


RUN_FLAGS = {"mount", "network"}


def run_flags(rest: str, line: int) -> list[tuple[str, str]]:
    """The ``--name=value`` flags before a RUN's command. The builder splits them at whitespace
    (Go's: form feeds and no-break spaces too) and knows no quotes; Python's ``split`` splits
    at all of that and more, so no flag the builder sees is missed. Anything but ``--mount``
    and ``--network`` with a value is refused: the builder must not be handed a flag Wharf has
    not looked at."""
    flags = []
    for word in rest.split():
        if not word.startswith("--"):
            return flags
        name, sep, value = word[2:].partition("=")
        if name.lower() not in RUN_FLAGS or not sep:
            raise DockerfileError(
                f"line {line}: RUN {word.split('=')[0]} is not supported here; "
                "RUN takes --mount=… and --network=…"
            )
        flags.append((name.lower(), value))


def _mount(spec: str, line: int) -> Mount:
    if any(c in spec for c in "\"'$\\") or not spec:
        raise DockerfileError(
            f"line {line}: RUN --mount={spec} must be plain key=value pairs, without quotes, "
            "variables or backslashes"
        )
    options: dict[str, list[str]] = {}
    for part in spec.split(","):
        key, _, value = part.partition("=")
        options.setdefault(key.strip().lower(), []).append(value.strip())
    return Mount(line, spec, options)


def images(text: str, build_args: dict[str, str] | None = None) -> list[Image]:
    """Every image the Dockerfile pulls, in order, each once; DockerfileError when unreadable."""
    build_args = build_args or {}
    values = automatic_args()
    stages: set[str] = set()
    found: list[Image] = []
    seen_from = False

    def other(reference: str, line: int, platform_: str = "") -> None:
        name = reference.lower()
        if name in stages or name.isdigit() or name == "scratch":
            return
        image = Image(reference, platform_, line)
        if all((i.reference, i.platform) != (reference, platform_) for i in found):
            found.append(image)

    for line, instruction in _logical_lines(text):
        keyword, rest = split_instruction(instruction)
        words = rest.split()
        if keyword == "ARG" and not seen_from:
            _args(words, values, build_args)
        elif keyword == "FROM":
            seen_from = True
            platform_, words = _flag(words, "platform")
            if not words:
                raise DockerfileError(f"line {line}: FROM names no image")
            reference = substitute(words[0], values)
            if not reference or any(c.isspace() for c in reference):
                raise DockerfileError(
                    f"line {line}: FROM {words[0]} names no image once its variables are "
                    "filled in; declare the ARG before the first FROM or pass it as a build arg"
                )
            other(reference, line, substitute(platform_, values))
            if len(words) >= 3 and words[1].lower() == "as":
                stages.add(words[2].lower())
        elif keyword == "COPY":
            source, _ = _flag(words, "from")
            if source:
                other(substitute(source, values), line)
        elif keyword == "RUN":
            for name, value in run_flags(rest, line):
                if name == "mount":
                    for source in _mount(value, line).options.get("from", []):
                        other(substitute(source, values), line)
        if len(found) > MAX_IMAGES:
            raise DockerfileError(f"more than {MAX_IMAGES} images to pull")
    if not seen_from:
        raise DockerfileError("the Dockerfile has no FROM instruction")
    return found


def split_instruction(instruction: str) -> tuple[str, str]:
    """(KEYWORD, the rest), split at any whitespace as the builder splits it."""
    parts = re.split(r"\s+", instruction.strip(), maxsplit=1)
    return parts[0].upper(), parts[1] if len(parts) > 1 else ""


def mounts(text: str) -> list[Mount]:
    """Every ``RUN --mount`` of the Dockerfile, ONBUILD RUNs included: a later ``FROM`` of the
    stage runs them in this very build (DockerfileError for flags not allowed)."""
    found = []
    for line, instruction in _logical_lines(text):
        keyword, rest = split_instruction(instruction)
        while keyword == "ONBUILD":
            keyword, rest = split_instruction(rest)
        if keyword == "RUN":
            found += [_mount(v, line) for n, v in run_flags(rest, line) if n == "mount"]
    return found


def trigger_mounts(triggers: list[str]) -> list[Mount]:
    """The ``RUN --mount``s of a base image's ONBUILD triggers, which run in this build. A
    trigger is one instruction: one holding a line break (the builder would run each line) is
    refused."""
    for trigger in triggers:
        if any(c in str(trigger) for c in "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"):
            raise DockerfileError(f"an ONBUILD trigger holds a line break: {str(trigger)[:80]!r}")
    text = "\n".join(str(trigger) for trigger in triggers)
    return mounts(text) if text.strip() else []
