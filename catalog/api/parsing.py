"""Request body parsing with Glance's rules and messages (DRF's parsers are not used)."""

import json

from django.core.exceptions import RequestDataTooBig

from catalog.exceptions import BadRequest, RequestEntityTooLarge

from .base import has_body


def json_body(request, *, expect=(dict, list)):
    """The JSON document in the request body, whatever its declared media type (Glance
    ignores the Content-Type of JSON routes; see transcript 23)."""
    if not has_body(request):
        raise BadRequest("Body expected in request.")
    try:
        raw = request._request.body if hasattr(request, "_request") else request.body
    except RequestDataTooBig:
        raise RequestEntityTooLarge("The request body is too large.") from None
    if not raw:
        raise BadRequest("Body expected in request.")
    try:
        document = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("Malformed JSON in request body.") from None
    if not isinstance(document, (dict, list)):
        raise BadRequest("Unexpected body type. Expected list/dict.")
    if not isinstance(document, expect):
        names = " or ".join("a JSON object" if t is dict else "a JSON array" for t in expect)
        raise BadRequest(f"Request body must be {names}.")
    return document
