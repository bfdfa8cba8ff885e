"""The images a Dockerfile pulls, read as Docker reads them (builds/dockerfile.py)."""

import pytest

from builds.dockerfile import DockerfileError, images


def refs(text: str, **build_args) -> list[str]:
    return [image.reference for image in images(text, build_args)]


def test_bases_stages_and_scratch():
    text = """\
# syntax comment, not a directive once an instruction came
FROM golang:1.22 AS build
RUN go build
FROM scratch AS empty
FROM build AS test
FROM alpine:3.20
COPY --from=build /out /app
COPY --from=0 /x /x
COPY --from=ghcr.io/acme/tools:1 /bin/tool /bin/tool
RUN --mount=type=bind,from=busybox,target=/bb ls /bb
RUN --mount=type=cache,target=/root/.cache go test
"""
    assert refs(text) == ["golang:1.22", "alpine:3.20", "ghcr.io/acme/tools:1", "busybox"]


def test_args_before_the_first_from_are_substituted_and_build_args_win():
    text = """\
ARG REGISTRY=hub.example:8000
ARG BASE=${REGISTRY}/library/debian
ARG TAG
FROM $BASE:${TAG:-12}
ARG LATE=ignored
FROM ${MISSING:-busybox}${TAG:+-with-tag}
"""
    assert refs(text) == ["hub.example:8000/library/debian:12", "busybox"]
    assert refs(text, TAG="11") == ["hub.example:8000/library/debian:11", "busybox-with-tag"]


def test_continuations_comments_and_the_escape_directive():
    text = "# escape=`\nFROM `\n  # a comment inside\n  alpine `\n  AS base\nFROM base\n"
    assert refs(text) == ["alpine"]


def test_platform_flags_are_kept_and_build_platform_is_this_host():
    found = images("FROM --platform=$BUILDPLATFORM busybox\nFROM --platform=linux/arm64 x\n")
    assert found[0].platform.startswith("linux/") and found[1].platform == "linux/arm64"
    assert [image.line for image in found] == [1, 2]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("RUN true\n", "the Dockerfile has no FROM instruction"),
        ("FROM\n", "line 1: FROM names no image"),
        ("FROM $NOTHING\n", "line 1: FROM $NOTHING names no image once its variables are filled"),
    ],
)
def test_a_dockerfile_without_a_readable_base_says_where(text, message):
    with pytest.raises(DockerfileError) as error:
        images(text)
    assert message in str(error.value)


ESCAPE = "FROM busybox AS base\nRUN ln -s / /rootdir\nFROM busybox\n"
HIDDEN = "RUN --mount=type=bind,from=base,source=/rootdir,destination=/r,rw ls /r\n"


@pytest.mark.parametrize(
    "text",
    [
        # Each once hid the mount from this reader while buildah 1.28 ran it (a review's finds).
        ESCAPE + "RUN --mount=type=tmpfs,target=/t\x0c--mount=from=base,type=bind,"
        "source=/rootdir,destination=/r,rw true\n",
        "\ufeff# escape=`\n" + ESCAPE + "RUN echo \\\n" + HIDDEN,
        "# escape=` x\n" + ESCAPE + "RUN echo \\\n" + HIDDEN,
        "# syntax=docker/dockerfile:1\n# escape=`\n" + ESCAPE + "RUN true # `\n" + HIDDEN,
        ESCAPE + "RUN echo \\\x0c\n" + HIDDEN,
        ESCAPE + "RUN echo \\\u00a0\n" + HIDDEN,
        ESCAPE + 'RUN --mount=type=tmpfs,target="/t --mount=from=base,type=bind,'
        'source=/rootdir,destination=/r" true\n',
    ],
)
def test_a_mount_is_seen_however_the_dockerfile_hides_it(text):
    from builds.dockerfile import mounts

    try:
        found = mounts(text)
    except DockerfileError:
        return  # refused outright: as good
    assert any("from" in mount.options for mount in found) or any(
        '"' in mount.spec for mount in found
    ), found


def test_an_onbuild_trigger_with_a_line_break_is_refused():
    from builds.dockerfile import trigger_mounts

    with pytest.raises(DockerfileError, match="an ONBUILD trigger holds a line break"):
        trigger_mounts(["RUN true\nRUN --mount=type=bind,source=rootlink,target=/r ls /r"])
