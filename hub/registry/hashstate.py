"""A sha256 whose state can be saved on an upload's row and resumed in another process.

A chunked upload's PATCHes may land on different web processes or hosts. ``hashlib`` cannot
export its state, so the process receiving a chunk would have to hash everything before it
again. OpenSSL's own ``SHA256_CTX`` is a plain public struct (``openssl/sha.h``, the same from
1.0 to 3.x): through ctypes it is hashed with the same code ``hashlib`` uses, at the same speed,
and its 112 bytes are the whole state — saved after each chunk, resumed by the next process
(as distribution saves Go's hash state between chunks).

Where libcrypto cannot be loaded, or a saved state is not this library's, ``new`` falls back to
``hashlib``: uploads then re-hash the bytes at the end instead (hub/registry/uploads.py).
"""

import ctypes
import ctypes.util
import hashlib
import sys

# Saved states start with this, so a state saved by another layout is never resumed.
MAGIC = f"ossl-sha256-v1-{sys.byteorder[0]}:".encode()


class _Ctx(ctypes.Structure):
    _fields_ = [
        ("h", ctypes.c_uint32 * 8),
        ("Nl", ctypes.c_uint32),
        ("Nh", ctypes.c_uint32),
        ("data", ctypes.c_uint32 * 16),
        ("num", ctypes.c_uint),
        ("md_len", ctypes.c_uint),
    ]


def _load():
    if not sys.platform.startswith("linux"):  # macOS's stub libcrypto aborts the process
        return None
    name = ctypes.util.find_library("crypto")
    if not name:
        return None
    try:
        lib = ctypes.CDLL(name)  # CDLL: the GIL is released while it hashes, as hashlib does
        for fn, args in (
            ("SHA256_Init", [ctypes.POINTER(_Ctx)]),
            ("SHA256_Update", [ctypes.POINTER(_Ctx), ctypes.c_char_p, ctypes.c_size_t]),
            ("SHA256_Final", [ctypes.c_char_p, ctypes.POINTER(_Ctx)]),
        ):
            getattr(lib, fn).argtypes = args
            getattr(lib, fn).restype = ctypes.c_int
    except (OSError, AttributeError):
        return None
    return lib


_lib = _load()


class ResumableSha256:
    """``hashlib.sha256``'s interface (update, copy, hexdigest) plus ``state()``."""

    name = "sha256"

    def __init__(self, ctx: _Ctx | None = None):
        if ctx is None:
            ctx = _Ctx()
            _lib.SHA256_Init(ctypes.byref(ctx))
        self._ctx = ctx

    def update(self, data) -> None:
        if not isinstance(data, bytes):
            data = bytes(data)
        _lib.SHA256_Update(ctypes.byref(self._ctx), data, len(data))

    def copy(self) -> "ResumableSha256":
        return ResumableSha256(_Ctx.from_buffer_copy(self._ctx))

    def hexdigest(self) -> str:
        out = ctypes.create_string_buffer(32)
        _lib.SHA256_Final(out, ctypes.byref(_Ctx.from_buffer_copy(self._ctx)))
        return out.raw.hex()

    def state(self) -> bytes:
        return MAGIC + bytes(self._ctx)


def _works() -> bool:
    """Hash, save, resume and finish once: the struct is what this module takes it for."""
    if _lib is None:
        return False
    h = ResumableSha256()
    h.update(b"a" * 100)
    resumed = resume(h.state())
    resumed.update(b"b" * 100)
    return resumed.hexdigest() == hashlib.sha256(b"a" * 100 + b"b" * 100).hexdigest()


def resume(state: bytes | None):
    """The hash a saved ``state`` stood at; None when it cannot be resumed here."""
    if _lib is None or not state or not bytes(state).startswith(MAGIC):
        return None
    raw = bytes(state)[len(MAGIC) :]
    if len(raw) != ctypes.sizeof(_Ctx):
        return None
    return ResumableSha256(_Ctx.from_buffer_copy(raw))


AVAILABLE = _works()


def new():
    """A fresh sha256: resumable where this host can, else hashlib's."""
    return ResumableSha256() if AVAILABLE else hashlib.sha256()


def saved(h) -> bytes | None:
    """``h``'s state to keep, or None for a hash that cannot be saved."""
    return h.state() if isinstance(h, ResumableSha256) else None
