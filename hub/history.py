"""An image config's history as `docker history` reads it: one row per step, builder noise gone.

Builders record the same Dockerfile step in different ways:

- the classic builder: ``/bin/sh -c #(nop)  ENV A=b`` for steps that ran nothing, ``/bin/sh -c
  apk add curl`` for RUN, ``|1 WHO=x /bin/sh -c …`` for RUN with build arguments;
- BuildKit: ``RUN /bin/sh -c apk add curl # buildkit``, ``COPY . /app # buildkit``;
- buildah (and podman build): the classic forms, plus a comment ``FROM <base>`` on every step
  it made, naming the base image on the first and the previous step's image id on the others.

The rows keep what a person wrote in the Dockerfile (``RUN apk add curl``) and drop the rest.
"""

import re

NOP = "/bin/sh -c #(nop)"
SHELL = "/bin/sh -c "
# |2 A=1 B=2 /bin/sh -c …: the classic builder's RUN with its build arguments in front.
RUN_WITH_ARGS = re.compile(r"^\|\d+ (?:\S+=\S* )*/bin/sh -c (?P<command>.*)$", re.DOTALL)
BUILDKIT_SUFFIX = " # buildkit"
# buildah's per-step comment: FROM and an image reference or a (short) image id.
BUILDAH_FROM = re.compile(r"^FROM (?P<image>\S+)$")
IMAGE_ID = re.compile(r"^(?:sha256:)?[0-9a-f]{12,64}$")


def instruction(created_by: str) -> str:
    """``/bin/sh -c #(nop)  CMD ["sh"]`` → ``CMD ["sh"]``; ``/bin/sh -c make`` → ``RUN make``."""
    line = (created_by or "").strip()
    if line.endswith(BUILDKIT_SUFFIX):
        line = line.removesuffix(BUILDKIT_SUFFIX).rstrip()
    if line.startswith(NOP):
        return line.removeprefix(NOP).strip()
    if line.startswith(SHELL):
        return "RUN " + line.removeprefix(SHELL).strip()
    keyword, _, rest = line.partition(" ")
    if keyword == "RUN":  # BuildKit: RUN /bin/sh -c …, RUN |1 A=b /bin/sh -c …
        inner = instruction(rest)
        return inner if inner.startswith("RUN ") else line
    if (match := RUN_WITH_ARGS.match(line)) is not None:
        return "RUN " + match["command"].strip()
    return line


def builder_base(comment: str) -> str | None:
    """The image named by buildah's ``FROM …`` step comment, "" for an image id; None when the
    comment is someone's own (``docker commit -m``)."""
    match = BUILDAH_FROM.match((comment or "").strip())
    if match is None:
        return None
    image = match["image"]
    return "" if IMAGE_ID.match(image) else image


def history_rows(history, layers: list[dict], sizes) -> tuple[list[dict], str]:
    """One row per history entry (and per layer without one), and the base image buildah named.

    ``sizes(layer)`` gives a layer's ``size``/``compressed_size``/``measured``. Entries marked
    ``empty_layer`` made no layer (ENV, CMD, EXPOSE…): they take none from ``layers``.
    """
    rows, base, layer_iter = [], "", iter(layers)
    for entry in history if isinstance(history, list) else []:
        if not isinstance(entry, dict):
            continue
        empty = bool(entry.get("empty_layer"))
        layer = None if empty else next(layer_iter, None)
        comment = str(entry.get("comment", ""))
        named = builder_base(comment)
        if named is not None:
            # The last image buildah names is the one this build started FROM; earlier ones
            # are the base image's own bases.
            base, comment = named or base, ""
        created_by = str(entry.get("created_by", ""))
        rows.append(
            {
                "instruction": instruction(created_by),
                "created_by": created_by,
                "comment": comment,
                "created": str(entry.get("created", "")),
                "empty": empty,
                **(sizes(layer) if layer else {"size": 0, "compressed_size": 0, "measured": True}),
                "digest": str(layer.get("digest", "")) if layer else "",
            }
        )
    rows.extend(
        {
            "instruction": "",
            "created_by": "",
            "comment": "",
            "created": "",
            "empty": False,
            **sizes(layer),
            "digest": str(layer.get("digest", "")),
        }
        for layer in layer_iter
    )
    return rows, base
