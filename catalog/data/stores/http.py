"""The read-only http store (Glance's ``http`` backend): image data that stays on a web
server, named by an http(s) location URL.

Every request, the size probe (HEAD) and each read (GET, ranged when part of the image is
asked for), goes through ``catalog.data.fetch``: the web-download address rules (no
loopback, link-local or private addresses unless allowed, pinned resolution, redirects
re-checked). Nothing is ever written or deleted: deleting an image leaves the remote file
alone. ``VerifiedReader`` checks size and md5 while the bytes stream, so a changed remote
file is never served as the image.
"""

import hashlib
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

from catalog.data import fetch
from catalog.data.stores.base import BlobNotFound, Store, StoreError

SCHEMES = ("http", "https")


def is_http_url(url: str) -> bool:
    return isinstance(url, str) and urlsplit(url).scheme.lower() in SCHEMES


class HttpBlobReader:
    """At most ``length`` bytes of a remote response; fewer is an error (a truncated image)."""

    def __init__(self, download: fetch.Download, length: int | None):
        self.download = download
        self.length = length
        self.pending = b""
        self.source = download.chunks()
        self.done = 0

    def _next(self) -> bytes:
        try:
            chunk = next(self.source, b"")
        except fetch.FetchError as exc:
            raise StoreError(str(exc)) from exc
        if self.length is not None:
            chunk = chunk[: max(self.length - self.done, 0)]
            if not chunk and self.done < self.length:
                raise StoreError(
                    f"{fetch.shown(self.download.url)} ended after {self.done} of "
                    f"{self.length} bytes."
                )
        self.done += len(chunk)
        return chunk

    def read(self, size: int = -1) -> bytes:
        if self.length is not None and self.done >= self.length and not self.pending:
            return b""
        while size < 0 or len(self.pending) < size:
            if self.length is not None and self.done >= self.length:
                break
            chunk = self._next()
            if not chunk:
                break
            self.pending += chunk
        if size < 0:
            size = len(self.pending)
        result, self.pending = self.pending[:size], self.pending[size:]
        return result

    def __iter__(self) -> Iterator[bytes]:
        while chunk := self.read(fetch.CHUNK_SIZE):
            yield chunk

    def close(self) -> None:
        self.download.close()


class VerifiedReader:
    """Passes a whole image through, checking its size and md5 against what the image
    records: a mismatch calls ``on_mismatch`` and raises (the response ends short: the
    client sees a broken download, never wrong bytes as a complete one)."""

    def __init__(self, reader, size: int, checksum: str | None, on_mismatch: Callable[[str], None]):
        self.reader, self.size, self.checksum = reader, size, checksum
        self.on_mismatch = on_mismatch
        self.md5 = hashlib.md5(usedforsecurity=False)
        self.count = 0

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self.reader:
            self.count += len(chunk)
            if self.count > self.size:
                self._fail(f"the remote data is longer than {self.size} bytes")
            self.md5.update(chunk)
            if self.count == self.size and self.checksum and self.md5.hexdigest() != self.checksum:
                # The last bytes are held back: the client never gets a complete wrong image.
                self._fail("the remote data does not match the image's checksum")
            yield chunk
        if self.count != self.size:
            self._fail(f"the remote data ended after {self.count} of {self.size} bytes")

    def read(self, size: int = -1) -> bytes:
        raise NotImplementedError("VerifiedReader is iterated")

    def _fail(self, why: str) -> None:
        self.on_mismatch(why)
        raise StoreError(why)

    def close(self) -> None:
        self.reader.close()


class HttpStore(Store):
    kind = "http"

    def __init__(self, store_id: str, *, timeout: float = 30.0, **options):
        options["read_only"] = True
        super().__init__(store_id, **options)
        self.timeout = float(timeout)

    def describe(self) -> dict:
        return {"schemes": list(SCHEMES)}

    def owns(self, url: str) -> bool:
        return is_http_url(url)

    def _open(self, url: str, **kwargs) -> fetch.Download:
        try:
            return fetch.open_url(url, max_bytes=None, timeout=self.timeout, **kwargs)
        except fetch.FetchError as exc:
            if " answered 404 " in str(exc):
                raise BlobNotFound(str(exc)) from exc
            raise StoreError(str(exc)) from exc

    def size(self, url: str) -> int:
        download = self._open(url, method="HEAD")
        download.close()
        if not download.content_length:
            raise BlobNotFound(f"{fetch.shown(url)} reports no size.")
        return download.content_length

    def open(self, url: str, start: int = 0, length: int | None = None) -> HttpBlobReader:
        if start == 0 and length is None:
            return HttpBlobReader(self._open(url), None)
        end = "" if length is None else str(start + length - 1)
        download = self._open(url, headers={"Range": f"bytes={start}-{end}"}, accept=(200, 206))
        if download.response.status == 200 and start:
            download.close()
            raise StoreError(f"{fetch.shown(url)} does not serve byte ranges.")
        return HttpBlobReader(download, length)

    def begin(self, key: str):
        raise StoreError(f"Store {self.id} is read-only.")

    def delete(self, url: str) -> None:
        """The remote file is not ours: removing the location is all a delete does."""

    def list_blobs(self) -> Iterator[tuple[str, str]]:
        return iter(())

    def discard_unfinished(self, key: str) -> None:
        """Nothing is ever written here."""
