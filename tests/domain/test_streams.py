"""The Django-free stream pieces: digests, size guard, ranges, workers."""

import hashlib
import os

import pytest

from catalog.data import fetch, streams
from catalog.exceptions import BadRequest, RangeNotSatisfiable, RequestEntityTooLarge


@pytest.mark.parametrize("parallel", [True, False])
@pytest.mark.parametrize("algorithm", ["sha512", "sha256", "sha3_512"])
def test_digests_equal_hashlib(parallel, algorithm):
    data = os.urandom(1_000_003)
    chunks = [data[i : i + 65536] for i in range(0, len(data), 65536)]
    size, md5, secure = streams.hash_chunks(chunks, algorithm, parallel=parallel)
    assert size == len(data)
    assert md5 == hashlib.md5(data).hexdigest()
    assert secure == hashlib.new(algorithm, data).hexdigest()


def test_chunk_worker_reports_failures_and_keeps_order():
    seen = []
    worker = streams.ChunkWorker(seen.append, depth=2)
    for i in range(50):
        worker.put(bytes([i]))
    worker.finish()
    assert seen == [bytes([i]) for i in range(50)]

    def explode(chunk):
        raise OSError("disk on fire")

    worker = streams.ChunkWorker(explode, depth=1)
    with pytest.raises(OSError, match="disk on fire"):
        for _ in range(100):
            worker.put(b"x")
        worker.finish()
    worker.close()
    assert not worker.thread.is_alive()


def test_size_guard():
    guard = streams.SizeGuard(10, cap=100, remaining=None)
    assert b"".join(guard.wrap([b"01234", b"56789"])) == b"0123456789"
    with pytest.raises(BadRequest, match="Size exceeds: expected 3 bytes, got 5 bytes"):
        list(streams.SizeGuard(3, cap=100, remaining=None).wrap([b"01234"]))
    with pytest.raises(BadRequest, match="Size mismatch: expected 9 bytes, got 5 bytes"):
        list(streams.SizeGuard(9, cap=100, remaining=None).wrap([b"01234"]))
    with pytest.raises(RequestEntityTooLarge, match="too large"):
        streams.SizeGuard(101, cap=100, remaining=None)
    with pytest.raises(RequestEntityTooLarge, match="7 bytes remaining"):
        streams.SizeGuard(8, cap=100, remaining=7)
    with pytest.raises(RequestEntityTooLarge, match="0 bytes remaining"):
        streams.SizeGuard(None, cap=100, remaining=0)
    unknown = streams.SizeGuard(0, cap=100, remaining=6)  # 0: unknown size, as in Glance
    with pytest.raises(RequestEntityTooLarge, match="6 bytes remaining"):
        list(unknown.wrap([b"0123", b"4567"]))


@pytest.mark.parametrize(
    "header,expected",
    [
        ("bytes=0-4", (0, 4)),
        ("bytes=995-", (995, 999)),
        ("bytes=-3", (997, 999)),
        ("bytes=-5000", (0, 999)),
        ("bytes=990-5000", (990, 999)),
        (" bytes=1-1 ", (1, 1)),
    ],
)
def test_ranges(header, expected):
    byte_range = streams.parse_range(header, None, 1000)
    assert (byte_range.start, byte_range.end) == expected
    assert byte_range.content_range == f"bytes {expected[0]}-{expected[1]}/1000"


@pytest.mark.parametrize(
    "header,error",
    [
        ("bytes=1000-", RangeNotSatisfiable),
        ("bytes=5-1", RangeNotSatisfiable),
        ("bytes=-", RangeNotSatisfiable),
        ("bytes=-0", RangeNotSatisfiable),
        ("items=0-1", RangeNotSatisfiable),
        ("bytes=a-b", RangeNotSatisfiable),
        ("bytes=0-1,2-3", BadRequest),
    ],
)
def test_bad_ranges(header, error):
    with pytest.raises(error):
        streams.parse_range(header, None, 1000)


def test_no_range_and_legacy_content_range():
    assert streams.parse_range(None, None, 10) is None
    byte_range = streams.parse_range(None, "bytes 2-4/10", 10)
    assert (byte_range.start, byte_range.end) == (2, 4)
    with pytest.raises(RangeNotSatisfiable):
        streams.parse_range(None, "bytes 2-/10", 10)


def test_iter_body_reads_length_or_to_eof_and_reports_broken_input():
    import io

    assert list(streams.iter_body(io.BytesIO(b"abcdefgh"), 5, chunk_size=2)) == [
        b"ab",
        b"cd",
        b"e",
    ]
    assert b"".join(streams.iter_body(io.BytesIO(b"abcdefgh"), None, chunk_size=3)) == b"abcdefgh"

    class Broken:
        def read(self, size):
            raise OSError("reset")

    with pytest.raises(streams.ClientDisconnected):
        list(streams.iter_body(Broken(), 10))


# --- The download rate guard (catalog.data.fetch.RateGuard) ---------------------------------


class FakeClock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def rate_guard(clock, **limits):
    return fetch.RateGuard("http://origin/x", clock=clock, **limits)


def test_a_dripping_origin_fails_once_the_window_has_passed():
    clock = FakeClock()
    guard = rate_guard(clock, deadline=3600, min_rate=1000, window=10)
    for _ in range(9):
        clock.now += 1
        guard.check(1)  # 1 byte a second: tolerated until the window is full
    clock.now += 1
    with pytest.raises(fetch.TooSlow, match="under the minimum of 1000 bytes/s"):
        guard.check(1)


def test_a_fast_origin_passes_and_a_pause_within_the_window_is_tolerated():
    clock = FakeClock()
    guard = rate_guard(clock, deadline=3600, min_rate=1000, window=10)
    for _ in range(30):
        clock.now += 1
        guard.check(5000)
    clock.now += 5  # a pause: the last 10 s still carried 25,000 bytes
    guard.check(0)


def test_the_deadline_fails_even_a_fast_download():
    clock = FakeClock()
    guard = rate_guard(clock, deadline=60, min_rate=0, window=10)
    clock.now += 59
    guard.check(10**9)
    clock.now += 2
    with pytest.raises(fetch.TooSlow, match="did not finish within 60 s"):
        guard.check(10**9)
