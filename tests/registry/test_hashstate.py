"""The resumable sha256 that lets a chunked upload's next PATCH, on any process, hash on."""

import hashlib
import os

import pytest

from hub.registry import hashstate

pytestmark = [
    pytest.mark.store_independent,  # no store involved
    pytest.mark.skipif(not hashstate.AVAILABLE, reason="no libcrypto to resume hashes with"),
]


def test_a_hash_saved_and_resumed_piece_by_piece_is_the_hash_of_the_whole():
    data = os.urandom(3 * 1024 * 1024 + 17)
    h = hashstate.new()
    for start in range(0, len(data), 1_000_003):  # pieces that end mid-block
        h.update(data[start : start + 1_000_003])
        h = hashstate.resume(hashstate.saved(h))  # as the next process would
    assert h.hexdigest() == hashlib.sha256(data).hexdigest()


def test_a_state_saved_by_something_else_is_not_resumed():
    assert hashstate.resume(b"") is None
    assert hashstate.resume(b"not a state") is None
    assert hashstate.resume(hashstate.MAGIC + b"\0" * 7) is None  # the wrong length
