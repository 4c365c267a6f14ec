"""One error envelope for every API failure: ``{"error": {"code", "message", "details"}}``.

The DRF exception handler covers errors raised inside API views; the Django handlers cover
what never reaches a view (unknown URLs, crashes in middleware).
"""

import logging

from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.http import Http404, JsonResponse
from django.views import defaults
from rest_framework import exceptions as drf

from catalog.exceptions import CatalogError

logger = logging.getLogger("catalog.api")

API_PREFIXES = ("/v2", "/versions", "/identity")

_DRF_MESSAGES = {
    drf.NotAuthenticated: "Authentication required: send a valid X-Auth-Token.",
    drf.AuthenticationFailed: "The token is invalid or has expired.",
}


def error_response(status: int, message: str, details: str = "", headers=None) -> JsonResponse:
    response = JsonResponse(
        {"error": {"code": status, "message": message, "details": details}}, status=status
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def exception_handler(exc, context):
    """DRF's hook: turn catalog and DRF exceptions into the envelope."""
    if isinstance(exc, CatalogError):
        return error_response(exc.status_code, exc.message, exc.details, exc.headers)
    if isinstance(exc, Http404):
        return error_response(404, "The resource could not be found.")
    if isinstance(exc, RequestDataTooBig):
        return error_response(413, "The request body is too large.")
    if isinstance(exc, drf.MethodNotAllowed):
        return error_response(
            405, f"The method {context['request'].method} is not allowed for this resource."
        )
    if isinstance(exc, drf.APIException):
        message = _DRF_MESSAGES.get(type(exc)) or _detail_text(exc.detail)
        headers = {}
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
        if getattr(exc, "wait", None):
            headers["Retry-After"] = str(int(exc.wait))
        return error_response(exc.status_code, message, headers=headers)
    if isinstance(exc, (PermissionDenied,)):
        return error_response(403, "Access was denied to this resource.")
    if isinstance(exc, SuspiciousOperation):
        return error_response(400, "The request was malformed.")
    logger.exception("Unhandled error in %s", context.get("view"))
    return error_response(
        500, "The server has either erred or is incapable of performing the requested operation."
    )


def _detail_text(detail) -> str:
    if isinstance(detail, list):
        return " ".join(_detail_text(d) for d in detail)
    if isinstance(detail, dict):
        return " ".join(f"{k}: {_detail_text(v)}" for k, v in detail.items())
    return str(detail)


def is_api_path(request) -> bool:
    path = request.path_info
    return path in ("/", "") or path.startswith(API_PREFIXES)


def handler400(request, exception=None):
    if is_api_path(request):
        return error_response(400, "The request was malformed.")
    return defaults.bad_request(request, exception)


def handler403(request, exception=None):
    if is_api_path(request):
        return error_response(403, "Access was denied to this resource.")
    return defaults.permission_denied(request, exception)


def handler404(request, exception=None):
    if is_api_path(request):
        return error_response(404, f"The resource could not be found: {request.path_info}")
    return defaults.page_not_found(request, exception)


def handler500(request):
    if is_api_path(request):
        return error_response(
            500,
            "The server has either erred or is incapable of performing the requested operation.",
        )
    return defaults.server_error(request)
