"""Image data routes: ``PUT`` and ``GET /v2/images/{id}/file``.

The body of an upload is never parsed and never touches ``request.body``: it is read from
the WSGI input stream in large chunks. With ``Transfer-Encoding: chunked`` Django sees an
empty body (it limits its stream to ``CONTENT_LENGTH``), so the server's de-chunked
``wsgi.input`` is read to EOF instead (gunicorn marks it ``wsgi.input_terminated``).
"""

from django.conf import settings
from django.http import HttpResponse, StreamingHttpResponse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema

from catalog.api import openapi
from catalog.api.base import CatalogAPIView
from catalog.data import streams
from catalog.exceptions import BadRequest, CatalogError, UnsupportedMediaType
from catalog.http import body_length, is_chunked
from catalog.services import image_data

OCTET_STREAM = "application/octet-stream"


class LengthRequired(CatalogError):
    status_code = 411
    default_message = "A Content-Length is required."


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
        super().__init__(iter(download.reader), content_type=OCTET_STREAM)
        reader = download.reader
        self._resource_closers.append(reader.close)
        self.file_to_stream = reader if hasattr(reader, "fileno") else None
        self["Content-Length"] = str(download.length)
        if download.image.checksum:
            # Glance sends the md5 of the whole image, on ranges too.
            self["Content-MD5"] = download.image.checksum
        if download.byte_range is not None:
            self.status_code = 206
            self["Content-Range"] = download.byte_range.content_range


def check_octet_stream(request) -> None:
    content_type = request.META.get("CONTENT_TYPE", "")
    if content_type.split(";")[0].strip().lower() != OCTET_STREAM:
        raise UnsupportedMediaType(f"Invalid content type {content_type}")


BINARY = {"type": "string", "format": "binary"}
SIZE_HEADER = OpenApiParameter(
    "x-openstack-image-size",
    int,
    OpenApiParameter.HEADER,
    description="The size the client will send (else Content-Length).",
)
STORE_HEADER = OpenApiParameter(
    "X-Image-Meta-Store", str, OpenApiParameter.HEADER, description="Store id (multi-store)."
)


class ImageFileView(CatalogAPIView):
    http_method_names = ["get", "put"]

    @extend_schema(
        operation_id="images_file_upload",
        summary="Upload image data (streamed; inspected, hashed, size- and quota-checked)",
        request={"application/octet-stream": BINARY},
        parameters=[SIZE_HEADER, STORE_HEADER],
        responses={
            204: OpenApiResponse(description="Stored; the image is active."),
            **openapi.errors(400, 401, 403, 404, 409, 410, 413, 415, 503),
        },
    )
    def put(self, request, image_id):
        check_octet_stream(request)
        size = declared_size(request.META)
        image_data.upload_data(
            self.ctx,
            image_id,
            request_chunks(request),
            declared_size=size,
            store_id=request.META.get("HTTP_X_IMAGE_META_STORE"),
        )
        return HttpResponse(status=204)

    @extend_schema(
        operation_id="images_file_download",
        summary="Download image data (a single Range gives 206)",
        parameters=[
            OpenApiParameter("Range", str, OpenApiParameter.HEADER, description="bytes=a-b")
        ],
        responses={
            (200, "application/octet-stream"): BINARY,
            (206, "application/octet-stream"): BINARY,
            204: OpenApiResponse(description="The image has no data."),
            **openapi.errors(400, 401, 403, 404, 416, 503),
        },
    )
    def get(self, request, image_id):
        download = image_data.open_data(
            self.ctx,
            image_id,
            range_header=request.META.get("HTTP_RANGE"),
            content_range=request.META.get("HTTP_CONTENT_RANGE"),
        )
        if download is None:
            return HttpResponse(status=204)
        return BlobResponse(download)


class ImageStageView(CatalogAPIView):
    http_method_names = ["put"]

    @extend_schema(
        operation_id="images_stage",
        summary="Stage image data for a glance-direct import (streamed and checked)",
        request={"application/octet-stream": BINARY},
        parameters=[SIZE_HEADER],
        responses={
            204: OpenApiResponse(description="Staged; the image is uploading."),
            **openapi.errors(400, 401, 403, 404, 409, 413, 415, 503),
        },
    )
    def put(self, request, image_id):
        check_octet_stream(request)
        size = declared_size(request.META)
        image_data.stage_data(self.ctx, image_id, request_chunks(request), declared_size=size)
        return HttpResponse(status=204)
