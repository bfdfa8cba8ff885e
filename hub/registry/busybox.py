"""Wharf's official base image: ``library/busybox`` from Debian's busybox-static.

A hub with no internet still needs a ``FROM`` for its builds; this one is made locally.
"""

import datetime
import platform
import subprocess
from pathlib import Path

from hub.registry import ocilayout

BUSYBOX = Path("/bin/busybox")
ARCHES = {
    "x86_64": "amd64",
    "aarch64": "arm64",
    "armv7l": "arm",
    "i686": "386",
    "ppc64le": "ppc64le",
    "s390x": "s390x",
}
DESCRIPTIONS = {
    "description": "Tiny shell and Unix tools in one static binary; the base for builds",
    "full_description": (
        "# busybox\n\n"
        "Wharf's official base image, made on this hub from Debian's `busybox-static`: "
        "`sh` and some 300 Unix tools in one statically linked binary.\n\n"
        '```dockerfile\nFROM busybox\nRUN echo hello > /hello.txt\nCMD ["cat", "/hello.txt"]\n```\n'
    ),
}
PATH_ENV = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def build_layout(dest: Path, *, busybox: Path = BUSYBOX, tag: str = "latest") -> Path:
    """Write an OCI layout holding a one-layer busybox image tagged ``tag``."""
    applets = subprocess.run(
        [str(busybox), "--list-full"], capture_output=True, text=True, check=True, timeout=30
    ).stdout.split()
    files: dict[str, bytes | tuple[str, str]] = {"bin/busybox": busybox.read_bytes()}
    for applet in applets:
        if applet != "bin/busybox":
            depth = applet.count("/")
            files[applet] = ("symlink", "../" * depth + "bin/busybox")
    files["etc/passwd"] = (
        b"root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n"
    )
    files["etc/group"] = b"root:x:0:\nnogroup:x:65534:\n"
    files["tmp/.keep"] = b""
    files["root/.keep"] = b""
    layer, diff_id = ocilayout.tar_layer(files)
    writer = ocilayout.LayoutWriter(dest)
    descriptor = writer.add_bytes(layer, ocilayout.LAYER_GZIP)
    created = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    version = subprocess.run([str(busybox)], capture_output=True, text=True, timeout=30).stdout
    config = {
        "architecture": ARCHES.get(platform.machine(), platform.machine()),
        "os": "linux",
        "created": created,
        "author": "Wharf",
        "config": {"Env": [PATH_ENV], "Cmd": ["sh"]},
        "history": [
            {
                "created": created,
                "created_by": f"ADD {version.splitlines()[0] if version else 'busybox'} /",
            },
            {"created": created, "created_by": 'CMD ["sh"]', "empty_layer": True},
        ],
    }
    writer.add_image(layers=[(descriptor, diff_id)], config=config, tag=tag)
    writer.close()
    return dest
