"""The request and response bodies the API does not read as JSON: Glance's JSON Patch media
types, and the image data routes (``PUT /v2/images/{id}/file``, ``PUT .../stage``, downloads).

The body of an upload is never parsed and never touches ``request.body``: it is read from
the WSGI input stream in large chunks. With ``Transfer-Encoding: chunked`` Django sees an
empty body (it limits its stream to ``CONTENT_LENGTH``), so the server's de-chunked
``wsgi.input`` is read to EOF instead (gunicorn marks it ``wsgi.input_terminated``).
"""

from django.conf import settings
from django.http import StreamingHttpResponse

from catalog.data import streams
from catalog.domain import patching
from catalog.exceptions import BadRequest, CatalogError, UnsupportedMediaType
from catalog.http import body_length, is_chunked
from catalog.services import image_data

OCTET_STREAM = "application/octet-stream"


def patch_media_type(request) -> str:
    """The request's patch media type; 415 with ``Accept-Patch`` for any other."""
    media_type = request.META.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
    if media_type not in patching.PATCH_MEDIA_TYPES:
        accepted = ", ".join(patching.PATCH_MEDIA_TYPES)
        raise UnsupportedMediaType(
            f"The request media type {media_type or '(none)'} is not supported by this server.",
            details=f"Image PATCH expects Content-Type one of: {accepted}",
            headers={"Accept-Patch": accepted},
        )
    return media_type


class LengthRequired(CatalogError):
    status_code = 411
    default_message = "A Content-Length is required."


def check_octet_stream(request) -> None:
    content_type = request.META.get("CONTENT_TYPE", "")
    if content_type.split(";")[0].strip().lower() != OCTET_STREAM:
        raise UnsupportedMediaType(f"Invalid content type {content_type}")


def declared_size(meta) -> int | None:
    """The size the client announces: ``x-openstack-image-size``, else ``Content-Length``."""
    raw = meta.get("HTTP_X_OPENSTACK_IMAGE_SIZE")
    if raw is None:
        return body_length(meta)
    try:
        size = int(raw)
    except ValueError:
        size = -1
    if size < 0:
        raise BadRequest("Invalid or missing image size in request headers.")
    return size


def request_chunks(request):
    meta = request.META
    if is_chunked(meta) and not meta.get("wsgi.input_terminated"):
        # A server that passes chunked framing through (Django's runserver) cannot tell us
        # where the body ends.
        raise LengthRequired(
            "Chunked uploads need a server that de-chunks request bodies (gunicorn); "
            "send a Content-Length instead."
        )
    return streams.iter_body(
        meta["wsgi.input"], body_length(meta), settings.CATALOG_DATA_CHUNK_SIZE
    )


class BlobResponse(StreamingHttpResponse):
    """Streams a store reader. A reader with a file descriptor becomes ``file_to_stream``,
    which Django hands to ``wsgi.file_wrapper``: gunicorn then uses sendfile for the
    ``Content-Length`` bytes from the file's current offset (ranges included)."""

    block_size = streams.CHUNK_SIZE

    def __init__(self, download: image_data.Download):
        super().__init__(download.chunks(), content_type=OCTET_STREAM)
        reader = download.reader
        # Bound now: Django replaces the streamed file's ``close`` with the response's.
        self._resource_closers.append(reader.close)
        self._resource_closers.append(download.finished)
        self.file_to_stream = reader if hasattr(reader, "fileno") else None
        self["Content-Length"] = str(download.length)
        if download.image.checksum:
            # Glance sends the md5 of the whole image, on ranges too.
            self["Content-MD5"] = download.image.checksum
        if download.byte_range is not None:
            self.status_code = 206
            self["Content-Range"] = download.byte_range.content_range
