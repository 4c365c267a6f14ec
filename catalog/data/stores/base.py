"""The storage seam: what the data services need from a place that keeps image bytes.

A store writes one blob per upload through a ``BlobWriter`` (nothing is visible under the
final name until ``commit``; ``abort`` leaves nothing behind), opens a blob for reading with
an optional byte range, deletes it, reports its size, and lists its blobs for the scrubber.
Blobs are named by a key (the image id); a location URL records where one was put.
"""

import re
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field

# Keys become file names and object keys: no separators, no dot-files, nothing to escape.
_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")


class StoreError(Exception):
    """The store failed (I/O error, endpoint down, ...)."""


class BlobNotFound(StoreError):
    """The location names no blob (already gone)."""


def check_key(key: str) -> str:
    if not _KEY.match(key) or ".." in key:
        raise ValueError(f"Invalid blob key {key!r}")
    return key


@dataclass
class StoredBlob:
    """Where a committed blob is: the location URL and store-specific metadata."""

    url: str
    metadata: dict = field(default_factory=dict)


class BlobWriter(ABC):
    """One blob being written. Use ``write`` for each chunk, then ``commit`` or ``abort``."""

    @abstractmethod
    def write(self, chunk: bytes) -> None: ...

    @abstractmethod
    def commit(self) -> StoredBlob:
        """Make the blob durable and visible under its final name."""

    @abstractmethod
    def abort(self) -> None:
        """Discard everything written (never raises)."""


class BlobReader(ABC):
    """An open blob (or a range of it): ``read(n)``, iteration by chunks, ``close``."""

    @abstractmethod
    def read(self, size: int = -1) -> bytes: ...

    @abstractmethod
    def __iter__(self) -> Iterator[bytes]: ...

    @abstractmethod
    def close(self) -> None: ...


class Store(ABC):
    """A configured place for image data (``CATALOG_STORES``)."""

    kind = ""

    def __init__(
        self, store_id: str, *, description: str = "", read_only: bool = False, weight: int = 0
    ):
        self.id = store_id
        self.description = description
        self.read_only = read_only
        # Downloads read the heaviest store holding the image first (Glance's store weight).
        self.weight = int(weight)

    @abstractmethod
    def begin(self, key: str) -> BlobWriter:
        """Start writing the blob ``key``."""

    @abstractmethod
    def open(self, url: str, start: int = 0, length: int | None = None):
        """A reader over ``length`` bytes from ``start`` of the blob at ``url``.

        Returns a ``BlobReader``; a file store's reader also has ``fileno()`` (sendfile).
        """

    @abstractmethod
    def delete(self, url: str) -> None:
        """Remove the blob at ``url``; ``BlobNotFound`` if it is not there."""

    @abstractmethod
    def size(self, url: str) -> int:
        """The size in bytes of the blob at ``url``."""

    @abstractmethod
    def list_blobs(self) -> Iterator[tuple[str, str]]:
        """Every committed blob as ``(key, url)`` (the scrubber looks for orphans)."""

    @abstractmethod
    def owns(self, url: str) -> bool:
        """Whether ``url`` names a blob of this store."""

    @abstractmethod
    def discard_unfinished(self, key: str) -> None:
        """Remove what a writer of ``key`` that died left behind: its temporary data and the
        blob at ``key`` if it was committed (the caller knows that no location names it, and
        that no live writer of ``key`` is running). Never raises for what is already gone."""

    def ping(self) -> None:
        """Raise StoreError unless the store answers (the readiness check): one cheap call."""
        next(iter(self.list_blobs()), None)

    def describe(self) -> dict:
        """Store-specific facts for admins (``/v2/info/stores/detail``); no secrets."""
        return {}

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.id}>"
