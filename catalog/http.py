"""HTTP conventions shared by every JSON surface (the image API and the identity API): body
framing (Content-Length versus chunked), reading a JSON body with Glance's rules and messages
(DRF's parsers are not used), and the public base URL of links."""

import ipaddress
import json
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import RequestDataTooBig

from catalog.exceptions import BadRequest, RequestEntityTooLarge


def public_base_url(request) -> str:
    """Where clients reach us: the configured public endpoint, else the request's host."""
    if settings.CATALOG_PUBLIC_ENDPOINT:
        return settings.CATALOG_PUBLIC_ENDPOINT
    return f"{request.scheme}://{request.get_host()}"


@lru_cache(maxsize=8)
def _networks(trusted: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(n) for n in trusted)


def _is_trusted(address: str, networks) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_address(request) -> str:
    """The client's address: the peer's, unless the peer is one of CATALOG_TRUSTED_PROXIES;
    then the right-most ``X-Forwarded-For`` entry that is not a trusted proxy (entries to its
    left were written by the client and prove nothing). Login limits key on it; the cluster
    and audit work use the same rule."""
    peer = request.META.get("REMOTE_ADDR", "")
    networks = _networks(tuple(settings.CATALOG_TRUSTED_PROXIES))
    if not _is_trusted(peer, networks):
        return peer
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
    hops = [hop.strip() for hop in forwarded if hop.strip()]
    for hop in reversed(hops):
        if not _is_trusted(hop, networks):
            return hop[:64]
    return hops[0][:64] if hops else peer


def is_chunked(meta) -> bool:
    """Whether the body comes in chunked framing (``Transfer-Encoding: gzip, chunked`` too)."""
    return "chunked" in meta.get("HTTP_TRANSFER_ENCODING", "").lower()


def body_length(meta) -> int | None:
    """The declared body length; None for a chunked body (its length is unknown)."""
    if is_chunked(meta):
        return None
    try:
        length = int(meta.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise BadRequest("Invalid Content-Length header.") from None
    if length < 0:
        raise BadRequest("Invalid Content-Length header.")
    return length


def has_body(request) -> bool:
    length = body_length(request.META)
    return length is None or length > 0


def json_body(request, *, expect=(dict, list)):
    """The JSON document in the request body, whatever its declared media type (Glance
    ignores the Content-Type of JSON routes: a JSON body sent as text/plain is read)."""
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
        # A "\ud800" escape decodes to a lone surrogate, which no database can store (the
        # write fails with UnicodeEncodeError: a 500); encoding the document finds them all.
        json.dumps(document, ensure_ascii=False).encode()
    except UnicodeEncodeError:
        raise BadRequest(
            "Malformed JSON in request body.",
            details="Strings may not contain unpaired UTF-16 surrogates.",
        ) from None
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("Malformed JSON in request body.") from None
    except RecursionError:
        # Python's decoder recurses once per nesting level; no valid request nests deeply.
        raise BadRequest(
            "Malformed JSON in request body.", details="The document is nested too deeply."
        ) from None
    if not isinstance(document, (dict, list)):
        raise BadRequest("Unexpected body type. Expected list/dict.")
    if not isinstance(document, expect):
        names = " or ".join("a JSON object" if t is dict else "a JSON array" for t in expect)
        raise BadRequest(f"Request body must be {names}.")
    return document
