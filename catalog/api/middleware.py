"""Cross-cutting HTTP behaviour: request ids and version negotiation."""

import re
import time
import uuid

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed

from catalog import context
from catalog.api.errors import error_response, handler400, is_api_path
from catalog.api.versions import accepted_prefix, versions_response
from catalog.http import client_address
from catalog.reads import metrics
from catalog.services import events

REQUEST_ID_HEADER = "x-openstack-request-id"
# Printable ASCII without spaces: anything else could never be echoed back safely.
_REQUEST_ID_CHARS = re.compile(r"^[\x21-\x7e]+$")
_VERSION_PATH = re.compile(r"^/(v\d+(?:\.\d+)?)(/.*)?$")


def new_request_id() -> str:
    return f"req-{uuid.uuid4()}"


class MetricsMiddleware:
    """Count requests, their latency and bytes for Prometheus (``CATALOG_METRICS``; not
    loaded otherwise). A streamed body is counted by its Content-Length when it has one (a
    file download keeps sendfile), else chunk by chunk as it is sent."""

    def __init__(self, get_response):
        if not settings.CATALOG_METRICS:
            raise MiddlewareNotUsed
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        method = request.method if request.method in _METHODS else "other"
        metrics.LATENCY.labels(method=method).observe(time.perf_counter() - started)
        metrics.REQUESTS.labels(method=method, status=f"{response.status_code // 100}xx").inc()
        metrics.BYTES_IN.inc(_int(request.META.get("CONTENT_LENGTH")))
        if response.has_header("Content-Length"):
            metrics.BYTES_OUT.inc(_int(response["Content-Length"]))
        elif response.streaming:
            response.streaming_content = _counted(response.streaming_content)
        else:
            metrics.BYTES_OUT.inc(len(response.content))
        return response


_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}


def _int(value) -> int:
    try:
        return max(0, int(value or 0))
    except ValueError:
        return 0


def _counted(chunks):
    for chunk in chunks:
        metrics.BYTES_OUT.inc(len(chunk))
        yield chunk


class RequestIdMiddleware:
    """Give every request an id and every response the ``x-openstack-request-id`` header.

    A client-sent id is echoed with the ``req-`` prefix. One that is too long is refused
    with 431, as Glance intends (docs/glance-differences.md#request-id-length).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # The audit trail's client address for this request (CATALOG_TRUSTED_PROXIES), and
        # the refusal events its rolled-back transactions left (catalog.services.events).
        token = context.client_address.set(client_address(request))
        try:
            return self._respond(request)
        finally:
            events.flush_refusals()
            context.client_address.reset(token)

    def _respond(self, request):
        sent = request.META.get("HTTP_X_OPENSTACK_REQUEST_ID")
        request.request_id = new_request_id()
        if sent is not None:
            limit = settings.CATALOG_MAX_REQUEST_ID_LENGTH
            if len(sent) > limit:
                response = error_response(
                    431, f"x-openstack-request-id is too long, max size {limit}"
                )
            elif not _REQUEST_ID_CHARS.match(sent):
                response = error_response(
                    400, "x-openstack-request-id may only contain printable ASCII characters."
                )
            else:
                request.request_id = sent if sent.startswith("req-") else f"req-{sent}"
                response = self.get_response(request)
        else:
            response = self.get_response(request)
        # A view may have fixed the id (an import answers with its task's request id).
        response[REQUEST_ID_HEADER] = getattr(request, "request_id", None) or new_request_id()
        return response


class VersionNegotiationMiddleware:
    """Map ``/v2.N/...`` to ``/v2/...``; answer unknown versions with the versions document."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        match = _VERSION_PATH.match(request.path_info)
        if match:
            prefix, rest = match.group(1), match.group(2) or ""
            if not accepted_prefix(prefix):
                return versions_response(request, 300)
            if prefix != "v2":
                request.path_info = f"/v2{rest}"
        return self.get_response(request)


class NulRejectionMiddleware:
    """Answer 400 for NUL in the path or query of pages outside the API (the Django admin).

    PostgreSQL refuses NUL in any text it compares, so an admin filter such as
    ``?project_id=%00`` or an object URL ``/admin/identity/project/%00/change/`` was a 500.
    No id or filter value can contain NUL. API routes keep their own, Glance-shaped answers
    to it (a 404 for an id, a 400 for a list filter).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not is_api_path(request) and _has_nul(request):
            return handler400(request)
        return self.get_response(request)


def _has_nul(request) -> bool:
    if "\x00" in request.path_info:
        return True
    return any(
        "\x00" in key or any("\x00" in value for value in values)
        for key, values in request.GET.lists()
    )
