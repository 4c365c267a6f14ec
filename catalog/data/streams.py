"""Django-free chunked I/O for image data: body reading, size limits, hashing, byte ranges.

Image data never sits in memory whole: it moves through these pieces one chunk at a time.
Chunks are large (4 MiB by default) because every per-chunk step costs Python overhead, and
hashlib releases the GIL only on large buffers.
"""

import hashlib
import queue
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from catalog.exceptions import BadRequest, RangeNotSatisfiable, RequestEntityTooLarge

CHUNK_SIZE = 4 * 1024 * 1024


class ClientDisconnected(BadRequest):
    """The request body ended abnormally (connection dropped, bad chunked framing)."""

    default_message = "The request body could not be read completely."


def iter_body(stream, length: int | None, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
    """Chunks of a request body: ``length`` bytes, or up to EOF when ``length`` is None
    (a chunked body that the server has de-chunked).

    A short body ends early (the size checks downstream say so); errors of the input stream
    become ``ClientDisconnected`` so that they are never mistaken for store errors.
    """
    remaining = length
    while remaining is None or remaining > 0:
        want = chunk_size if remaining is None else min(chunk_size, remaining)
        try:
            chunk = stream.read(want)
        except (OSError, ValueError) as exc:
            raise ClientDisconnected(details=str(exc)) from exc
        if not chunk:
            return
        if remaining is not None:
            remaining -= len(chunk)
        yield chunk


# --- Size limits -----------------------------------------------------------------------


def too_large_for_cap() -> RequestEntityTooLarge:
    return RequestEntityTooLarge(
        "The incoming image is too large: The provided image is too large."
    )


def over_quota(size: int, remaining: int) -> RequestEntityTooLarge:
    return RequestEntityTooLarge(
        f"Image exceeds the storage quota: The size of the data {size} will exceed the "
        f"limit. {remaining} bytes remaining."
    )


class SizeGuard:
    """Counts the bytes of a stream and stops it as soon as it breaks a limit.

    ``expected``: the size the client declared (None or 0: unknown, as in Glance);
    ``cap``: the largest image accepted; ``remaining``: the owner's storage quota left
    (None: unlimited). Limits are checked before reading when the size is declared, and on
    every chunk otherwise, so an oversized upload is refused while it streams.
    """

    def __init__(self, expected: int | None, cap: int, remaining: int | None):
        self.expected = expected or None
        self.cap = cap
        self.remaining = remaining
        self.count = 0
        if self.expected is not None:
            self._check_limits(self.expected)
        elif remaining is not None and remaining <= 0:
            raise over_quota(0, remaining)

    def _check_limits(self, size: int) -> None:
        if size > self.cap:
            raise too_large_for_cap()
        if self.remaining is not None and size > self.remaining:
            raise over_quota(size, self.remaining)

    def wrap(self, chunks: Iterable[bytes]) -> Iterator[bytes]:
        for chunk in chunks:
            self.count += len(chunk)
            if self.expected is not None and self.count > self.expected:
                raise BadRequest(
                    f"Size exceeds: expected {self.expected} bytes, got {self.count} bytes"
                )
            self._check_limits(self.count)
            yield chunk
        self.finish()

    def finish(self) -> None:
        if self.expected is not None and self.count != self.expected:
            raise BadRequest(
                f"Size mismatch: expected {self.expected} bytes, got {self.count} bytes"
            )


# --- Hashing ---------------------------------------------------------------------------


class ChunkWorker:
    """Applies ``consume`` to each chunk in a thread of its own, in order, through a queue of
    at most ``depth`` chunks (memory stays bounded; hashlib and file writes drop the GIL, so
    workers run on other cores while the caller reads the next chunk).

    A failure of ``consume`` is raised to the caller by the next ``put`` or by ``finish``.
    """

    _STOP = object()

    def __init__(self, consume: Callable[[bytes], object], depth: int = 3, name: str = "chunks"):
        self.consume = consume
        self.queue: queue.Queue = queue.Queue(maxsize=depth)
        self.error: BaseException | None = None
        self.cancelled = False
        self.thread = threading.Thread(target=self._run, daemon=True, name=name)
        self.thread.start()

    def _run(self) -> None:
        while True:
            chunk = self.queue.get()
            if chunk is self._STOP:
                return
            if self.error is None and not self.cancelled:
                try:
                    self.consume(chunk)
                except BaseException as exc:
                    self.error = exc

    def put(self, chunk: bytes) -> None:
        if self.error is not None:
            raise self.error
        self.queue.put(chunk)

    def finish(self) -> None:
        """Wait until every chunk is consumed; raise the worker's failure if it had one."""
        if self.thread.is_alive():
            self.queue.put(self._STOP)
            self.thread.join()
        if self.error is not None:
            raise self.error

    def close(self) -> None:
        """Stop after a failure elsewhere: chunks still queued are dropped, nothing raised."""
        self.cancelled = True
        try:
            self.finish()
        except BaseException:
            pass


class Digests:
    """md5 (Glance's ``checksum``) and ``algorithm`` (``os_hash_value``) of one stream.

    With ``parallel`` each digest runs in a thread of its own, fed through a queue of at
    most ``depth`` chunks: the two hashes and the caller's own work (reading the socket,
    writing the store) then overlap on separate cores. Memory stays bounded by the queue.
    """

    def __init__(self, algorithm: str = "sha512", *, parallel: bool = True, depth: int = 3):
        self.algorithm = algorithm
        self._md5 = hashlib.md5(usedforsecurity=False)
        self._secure = hashlib.new(algorithm)
        self._threads: list[ChunkWorker] = []
        if parallel:
            self._threads = [
                ChunkWorker(h.update, depth, name=f"hash-{h.name}")
                for h in (self._md5, self._secure)
            ]

    def update(self, chunk: bytes) -> None:
        if self._threads:
            for thread in self._threads:
                thread.put(chunk)
        else:
            self._md5.update(chunk)
            self._secure.update(chunk)

    def finish(self) -> tuple[str, str]:
        """(md5 hex, secure hash hex). Also stops the threads: call it exactly once."""
        errors = []
        for thread in self._threads:
            try:
                thread.finish()
            except BaseException as exc:
                errors.append(exc)
        self._threads = []
        if errors:
            raise errors[0]
        return self._md5.hexdigest(), self._secure.hexdigest()

    def close(self) -> None:
        """Stop the threads after a failure (the digests are then meaningless)."""
        try:
            self.finish()
        except BaseException:
            pass


def hash_chunks(chunks: Iterable[bytes], algorithm: str, parallel: bool = True):
    """(size, md5 hex, secure hex) of a stream: used to verify stored data."""
    digests = Digests(algorithm, parallel=parallel)
    size = 0
    try:
        for chunk in chunks:
            size += len(chunk)
            digests.update(chunk)
    except BaseException:
        digests.close()
        raise
    md5, secure = digests.finish()
    return size, md5, secure


# --- Byte ranges -----------------------------------------------------------------------


@dataclass(frozen=True)
class ByteRange:
    """An inclusive byte range of an image of ``total`` bytes."""

    start: int
    end: int
    total: int

    @property
    def length(self) -> int:
        return self.end - self.start + 1

    @property
    def content_range(self) -> str:
        return f"bytes {self.start}-{self.end}/{self.total}"


_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
_CONTENT_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+|\*)$")


def _invalid_range() -> RangeNotSatisfiable:
    return RangeNotSatisfiable("Invalid Range header.")


def _resolve(start: int | None, end: int | None, total: int) -> ByteRange:
    """Clamp a parsed range to the image as webob does (Glance's get_range_from_request)."""
    if start is None:  # suffix: the last ``end`` bytes, the whole image if it is shorter
        if not end:
            raise _invalid_range()
        start = max(0, total - end)
        end = total - 1
    elif end is not None and end < start:
        raise _invalid_range()
    if start >= total:
        raise RangeNotSatisfiable(
            "Invalid start position in Range header. Start position MUST be in the "
            f"inclusive range [0, {total - 1}].",
            headers={"Content-Range": f"bytes */{total}"},
        )
    end = total - 1 if end is None else min(end, total - 1)
    return ByteRange(start, end, total)


def parse_range(range_header: str | None, content_range: str | None, total: int):
    """The byte range a download asks for, or None for the whole image.

    ``Range: bytes=a-b | a- | -n`` (one range only: several are a 400, as in Glance), or the
    legacy request header ``Content-Range: bytes a-b/total`` that Glance also honours.
    """
    if range_header is not None:
        value = range_header.strip()
        if "," in value:
            raise BadRequest(
                "Requests with multiple ranges are not supported in Glance. You may make "
                "multiple single-range requests instead."
            )
        match = _RANGE.match(value)
        if not match or match.groups() == ("", ""):
            raise _invalid_range()
        first, last = (int(g) if g else None for g in match.groups())
        return _resolve(first, last, total)
    if content_range is not None:
        match = _CONTENT_RANGE.match(content_range.strip())
        if not match:
            raise _invalid_range()
        return _resolve(int(match.group(1)), int(match.group(2)), total)
    return None


# --- Reading stored data ---------------------------------------------------------------


class BoundedReader:
    """Reads at most ``length`` bytes from a file object (for ranges and chunked copies).

    It exposes the file's descriptor, so that a WSGI server's ``wsgi.file_wrapper`` can use
    sendfile: gunicorn sends ``Content-Length`` bytes from the current offset.
    """

    def __init__(self, fileobj, length: int, on_close: Callable[[], None] | None = None):
        self._file = fileobj
        self._left = length
        self._on_close = on_close

    def read(self, size: int = -1) -> bytes:
        if self._left <= 0:
            return b""
        size = self._left if size is None or size < 0 else min(size, self._left)
        data = self._file.read(size)
        self._left -= len(data)
        return data

    def fileno(self) -> int:
        return self._file.fileno()

    def __iter__(self) -> Iterator[bytes]:
        while chunk := self.read(CHUNK_SIZE):
            yield chunk

    def close(self) -> None:
        self._file.close()
        if self._on_close is not None:
            self._on_close()
