"""The S3-compatible store (AWS S3, Ceph RGW, MinIO) through boto3.

Uploads stream as a multipart upload: chunks are gathered into parts of ``part_size`` bytes
(at least S3's 5 MiB minimum), each sent as soon as it is full by one of ``concurrency``
threads, so memory holds ``concurrency + 1`` parts at most (one request at a time reached two
thirds of what boto3's own concurrent transfer does against a Ceph gateway: bench/data.py).
Nothing is visible until the upload is completed; an abort discards the parts. A blob
smaller than one part is sent with a single PUT. Downloads are ranged GETs.
"""

from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from urllib.parse import quote, unquote, urlsplit

from catalog.data.stores.base import (
    BlobNotFound,
    BlobWriter,
    Store,
    StoredBlob,
    StoreError,
    check_key,
)
from catalog.data.streams import CHUNK_SIZE

MIN_PART_SIZE = 5 * 1024 * 1024


def _client_errors():
    import botocore.exceptions

    return (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError)


class S3BlobWriter(BlobWriter):
    def __init__(self, store: "S3Store", key: str):
        self.store = store
        self.key = store.object_key(key)
        self.buffer = bytearray()
        self.upload_id: str | None = None
        self.parts: list[dict] = []
        self.sending: list[Future] = []
        self.pool: ThreadPoolExecutor | None = None

    def write(self, chunk: bytes) -> None:
        self.buffer += chunk
        while len(self.buffer) >= self.store.part_size:
            part = bytes(self.buffer[: self.store.part_size])
            del self.buffer[: self.store.part_size]
            self._send_part(part)

    def _start(self) -> None:
        try:
            created = self.store.client.create_multipart_upload(
                Bucket=self.store.bucket, Key=self.key
            )
        except _client_errors() as exc:
            raise StoreError(f"S3 upload of {self.key} failed: {exc}") from exc
        self.upload_id = created["UploadId"]
        if self.store.concurrency > 1:
            self.pool = ThreadPoolExecutor(self.store.concurrency, thread_name_prefix="s3-part")

    def _upload_part(self, number: int, part: bytes) -> dict:
        try:
            sent = self.store.client.upload_part(
                Bucket=self.store.bucket,
                Key=self.key,
                UploadId=self.upload_id,
                PartNumber=number,
                Body=part,
            )
        except _client_errors() as exc:
            raise StoreError(f"S3 upload of {self.key} failed: {exc}") from exc
        return {"PartNumber": number, "ETag": sent["ETag"]}

    def _send_part(self, part: bytes) -> None:
        if self.upload_id is None:
            self._start()
        number = len(self.parts) + len(self.sending) + 1
        if self.pool is None:
            self.parts.append(self._upload_part(number, part))
            return
        # At most ``concurrency`` parts in flight: wait for one before sending another.
        while len(self.sending) >= self.store.concurrency:
            done, _ = wait(self.sending, return_when=FIRST_COMPLETED)
            self._collect(done)
        self.sending.append(self.pool.submit(self._upload_part, number, part))

    def _collect(self, done) -> None:
        for future in done:
            self.sending.remove(future)
            self.parts.append(future.result())  # raises the part's StoreError

    def _drain(self) -> None:
        if self.sending:
            self._collect(wait(self.sending)[0])
        self.parts.sort(key=lambda part: part["PartNumber"])

    def _stop_pool(self) -> None:
        if self.pool is not None:
            for future in self.sending:
                future.cancel()
            self.pool.shutdown(wait=True)
            self.pool = None
        self.sending = []

    def commit(self) -> StoredBlob:
        client = self.store.client
        try:
            if self.upload_id is None:
                client.put_object(Bucket=self.store.bucket, Key=self.key, Body=bytes(self.buffer))
            else:
                if self.buffer:
                    self._send_part(bytes(self.buffer))
                self._drain()
                client.complete_multipart_upload(
                    Bucket=self.store.bucket,
                    Key=self.key,
                    UploadId=self.upload_id,
                    MultipartUpload={"Parts": self.parts},
                )
        except _client_errors() as exc:
            self.abort()
            raise StoreError(f"S3 upload of {self.key} failed: {exc}") from exc
        except StoreError:
            self.abort()
            raise
        self._stop_pool()
        self.buffer = bytearray()
        return StoredBlob(url=self.store.url_for(self.key), metadata={"store": self.store.id})

    def abort(self) -> None:
        self.buffer = bytearray()
        self._stop_pool()  # parts still being sent finish first: the abort then covers them
        if self.upload_id is None:
            return
        try:
            self.store.client.abort_multipart_upload(
                Bucket=self.store.bucket, Key=self.key, UploadId=self.upload_id
            )
        except Exception:  # the scrubber aborts what is left over
            pass
        self.upload_id = None


class S3BlobReader:
    """The body of a (ranged) GET, read in chunks."""

    def __init__(self, body):
        self.body = body

    def read(self, size: int = -1) -> bytes:
        try:
            return self.body.read(None if size is None or size < 0 else size)
        except _client_errors() as exc:
            raise StoreError(f"S3 read failed: {exc}") from exc

    def __iter__(self) -> Iterator[bytes]:
        while chunk := self.read(CHUNK_SIZE):
            yield chunk

    def close(self) -> None:
        self.body.close()


class S3Store(Store):
    kind = "s3"

    def __init__(
        self,
        store_id: str,
        *,
        bucket: str,
        endpoint_url: str | None = None,
        region_name: str | None = None,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        prefix: str = "",
        part_size: int = 8 * 1024 * 1024,
        concurrency: int = 4,
        create_bucket: bool = False,
        **options,
    ):
        super().__init__(store_id, **options)
        self.bucket = bucket
        self.endpoint_url = endpoint_url
        self.region_name = region_name
        self.access_key_id = access_key_id
        self.secret_access_key = secret_access_key
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.part_size = max(int(part_size), MIN_PART_SIZE)
        self.concurrency = max(int(concurrency), 1)
        self.create_bucket = create_bucket
        self._client = None

    def describe(self) -> dict:
        return {
            "bucket": self.bucket,
            "endpoint_url": self.endpoint_url,
            "prefix": self.prefix,
            "part_size": self.part_size,
            "concurrency": self.concurrency,
        }

    @property
    def client(self):
        if self._client is None:
            import boto3
            from botocore.config import Config

            # Credentials not given here come from boto3's usual chain (environment, files).
            self._client = boto3.client(
                "s3",
                endpoint_url=self.endpoint_url,
                region_name=self.region_name,
                aws_access_key_id=self.access_key_id,
                aws_secret_access_key=self.secret_access_key,
                config=Config(retries={"max_attempts": 3, "mode": "standard"}),
            )
            if self.create_bucket:
                self._ensure_bucket()
        return self._client

    def ping(self) -> None:
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except _client_errors() as exc:
            raise StoreError(f"S3 bucket {self.bucket} does not answer: {exc}") from exc

    def _ensure_bucket(self) -> None:
        try:
            self._client.head_bucket(Bucket=self.bucket)
        except _client_errors():
            self._client.create_bucket(Bucket=self.bucket)

    def object_key(self, key: str) -> str:
        return self.prefix + check_key(key)

    def url_for(self, object_key: str) -> str:
        return f"s3://{self.bucket}/{quote(object_key)}"

    def _key_of(self, url: str) -> str:
        parts = urlsplit(url)
        if parts.scheme != "s3" or parts.netloc != self.bucket:
            raise StoreError(f"{url!r} is not in store {self.id}")
        key = unquote(parts.path.lstrip("/"))
        if not key.startswith(self.prefix):
            raise StoreError(f"{url!r} is not in store {self.id}")
        try:
            check_key(key[len(self.prefix) :])
        except ValueError as exc:
            raise StoreError(f"{url!r} names no blob of store {self.id}") from exc
        return key

    def owns(self, url: str) -> bool:
        try:
            self._key_of(url)
        except StoreError:
            return False
        return True

    def _not_found(self, exc) -> bool:
        code = getattr(exc, "response", {}).get("Error", {}).get("Code", "")
        return code in ("404", "NoSuchKey", "NotFound")

    def begin(self, key: str) -> S3BlobWriter:
        return S3BlobWriter(self, key)

    def open(self, url: str, start: int = 0, length: int | None = None) -> S3BlobReader:
        key = self._key_of(url)
        request = {"Bucket": self.bucket, "Key": key}
        if start or length is not None:
            end = "" if length is None else str(start + length - 1)
            request["Range"] = f"bytes={start}-{end}"
        try:
            response = self.client.get_object(**request)
        except _client_errors() as exc:
            if self._not_found(exc):
                raise BlobNotFound(url) from exc
            raise StoreError(f"S3 read of {key} failed: {exc}") from exc
        return S3BlobReader(response["Body"])

    def delete(self, url: str) -> None:
        key = self._key_of(url)
        self.size(url)  # S3 deletes of absent keys succeed silently: say BlobNotFound
        try:
            self.client.delete_object(Bucket=self.bucket, Key=key)
        except _client_errors() as exc:
            raise StoreError(f"S3 delete of {key} failed: {exc}") from exc

    def size(self, url: str) -> int:
        key = self._key_of(url)
        try:
            return self.client.head_object(Bucket=self.bucket, Key=key)["ContentLength"]
        except _client_errors() as exc:
            if self._not_found(exc):
                raise BlobNotFound(url) from exc
            raise StoreError(f"S3 head of {key} failed: {exc}") from exc

    def list_blobs(self) -> Iterator[tuple[str, str]]:
        try:
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=self.prefix
            )
            for page in pages:
                for item in page.get("Contents", []):
                    yield item["Key"][len(self.prefix) :], self.url_for(item["Key"])
        except _client_errors() as exc:
            raise StoreError(f"S3 listing of {self.bucket} failed: {exc}") from exc

    def discard_unfinished(self, key: str) -> None:
        object_key = self.object_key(key)
        try:
            listing = self.client.list_multipart_uploads(Bucket=self.bucket, Prefix=object_key)
            for upload in listing.get("Uploads", []):
                if upload["Key"] == object_key:
                    self.client.abort_multipart_upload(
                        Bucket=self.bucket, Key=object_key, UploadId=upload["UploadId"]
                    )
            self.client.delete_object(Bucket=self.bucket, Key=object_key)
        except _client_errors() as exc:
            raise StoreError(f"S3 cleanup of {object_key} failed: {exc}") from exc

    def abort_stale_uploads(self, older_than: float) -> list[str]:
        """Abort multipart uploads left by uploads that died before completing or aborting."""
        from datetime import UTC, datetime, timedelta

        cutoff = datetime.now(UTC) - timedelta(seconds=older_than)
        aborted = []
        listing = self.client.list_multipart_uploads(Bucket=self.bucket, Prefix=self.prefix)
        for upload in listing.get("Uploads", []):
            if upload["Initiated"] < cutoff:
                self.client.abort_multipart_upload(
                    Bucket=self.bucket, Key=upload["Key"], UploadId=upload["UploadId"]
                )
                aborted.append(upload["Key"])
        return aborted
