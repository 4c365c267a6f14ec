"""Which URLs a server-side import may fetch (web-download): the SSRF guard.

The checks follow Glance's ``import_filtering_opts`` and go further where Glance was bitten:
- only the allowed schemes and ports (80/443 by default);
- host names are resolved exactly once here, and the fetch connects to the addresses found
  (``catalog.data.fetch``), so DNS cannot be re-pointed between the check and the connection;
- loopback, link-local (cloud metadata at 169.254.169.254), unspecified, multicast, reserved
  and (unless allowed) private addresses are refused, whatever spelling the URL uses: decimal,
  octal, hex or shortened IPv4 and IPv4-mapped IPv6 spellings are refused outright, because
  resolvers disagree about what they mean;
- a host on the allow-list skips the address checks (that is how an operator opens a mirror
  on a private network, or a test opens 127.0.0.1).
"""

import ipaddress
import re
import socket
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

from catalog.exceptions import BadRequest

DEFAULT_PORTS = {"http": 80, "https": 443}
_DOTTED_QUAD = re.compile(
    r"^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$"
)
_HOST_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
# Anything made of digits, dots and hex markers that is not a plain dotted quad is one of the
# ambiguous numeric spellings (2130706433, 0x7f.1, 0177.0.0.1, 127.1).
_NUMERIC_SPELLING = re.compile(r"^(0x[0-9a-f]*|\d+)(\.(0x[0-9a-f]*|\d+))*\.?$")

Resolver = Callable[[str, int], list[str]]


class UnsafeURL(BadRequest):
    """A URL the import filter refuses. The message says why; the API wraps it."""


@dataclass(frozen=True)
class FetchPolicy:
    allowed_schemes: tuple[str, ...] = ("http", "https")
    disallowed_schemes: tuple[str, ...] = ()
    allowed_hosts: tuple[str, ...] = ()
    disallowed_hosts: tuple[str, ...] = ()
    # None: every port allowed (the setting given explicitly empty).
    allowed_ports: tuple[int, ...] | None = (80, 443)
    disallowed_ports: tuple[int, ...] = ()
    allow_private: bool = False

    @classmethod
    def from_settings(cls) -> "FetchPolicy":
        ports = settings.CATALOG_IMPORT_ALLOWED_PORTS
        return cls(
            allowed_schemes=tuple(s.lower() for s in settings.CATALOG_IMPORT_ALLOWED_SCHEMES),
            disallowed_schemes=tuple(s.lower() for s in settings.CATALOG_IMPORT_DISALLOWED_SCHEMES),
            allowed_hosts=tuple(h.lower() for h in settings.CATALOG_IMPORT_ALLOWED_HOSTS),
            disallowed_hosts=tuple(h.lower() for h in settings.CATALOG_IMPORT_DISALLOWED_HOSTS),
            allowed_ports=tuple(ports) if ports else None,
            disallowed_ports=tuple(settings.CATALOG_IMPORT_DISALLOWED_PORTS),
            allow_private=settings.CATALOG_IMPORT_ALLOW_PRIVATE_NETWORKS,
        )


@dataclass(frozen=True)
class CheckedURL:
    """A URL that passed the filter, with the addresses the fetch must connect to."""

    url: str
    scheme: str
    host: str  # lower-case name or canonical address, without brackets
    port: int
    target: str  # path and query, what goes on the request line
    addresses: tuple[str, ...]


def system_resolver(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError):
        return []
    return list(dict.fromkeys(info[4][0] for info in infos))


def _refuse(url: str, why: str):
    raise UnsafeURL(f"URI for web-download does not pass filtering: {url} ({why})")


def _literal_address(
    host: str, bracketed: bool
) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address a host spells literally; None for a name. Refuses ambiguous spellings."""
    if bracketed:
        address = ipaddress.IPv6Address(host.split("%")[0])
        if address.ipv4_mapped is not None or address.sixtofour or address.teredo:
            raise ValueError("IPv4 addresses embedded in IPv6 are not accepted")
        return address
    if _DOTTED_QUAD.match(host):
        return ipaddress.IPv4Address(host)
    if _NUMERIC_SPELLING.match(host):
        raise ValueError("numeric host spellings other than a dotted quad are not accepted")
    return None


def _address_problem(address: str, policy: FetchPolicy) -> str | None:
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return "loopback address"
    if ip.is_link_local:
        return "link-local address"
    if ip.is_unspecified:
        return "unspecified address"
    if ip.is_multicast:
        return "multicast address"
    if ip.is_reserved:
        return "reserved address"
    if ip.is_private:
        return None if policy.allow_private else "private address"
    if not ip.is_global:
        # Shared (carrier-grade NAT, 100.64.0.0/10: some clouds' metadata service),
        # benchmarking and documentation ranges: reachable only inside some network.
        return "non-public address"
    return None


def _check_listed(value, allowed, disallowed) -> bool:
    # As Glance: when an allow-list is set, only the allow-list counts.
    if allowed:
        return value in allowed
    return value not in disallowed


def check_url(
    url: str, policy: FetchPolicy | None = None, resolver: Resolver = system_resolver
) -> CheckedURL:
    """Validate ``url`` for a server-side fetch; raise ``UnsafeURL`` with the reason."""
    policy = policy or FetchPolicy.from_settings()
    if not isinstance(url, str) or len(url) > 2048 or any(c in url for c in "\r\n\t\x00 "):
        _refuse(str(url)[:200], "not a well-formed URL")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        _refuse(url, "not a well-formed URL")
    scheme = parts.scheme.lower()
    if not scheme or not _check_listed(scheme, policy.allowed_schemes, policy.disallowed_schemes):
        _refuse(url, f"scheme {scheme or '(none)'!r} is not allowed")
    if scheme not in DEFAULT_PORTS:
        _refuse(url, f"scheme {scheme!r} cannot be fetched")
    if parts.username is not None or parts.password is not None:
        _refuse(url, "credentials in the URL are not accepted")
    raw_host = (parts.hostname or "").rstrip(".")
    if not raw_host:
        _refuse(url, "no host")
    try:
        literal = _literal_address(raw_host, bracketed="[" in parts.netloc)
    except ValueError as exc:
        _refuse(url, str(exc))
    host = str(literal) if literal is not None else raw_host
    if literal is None and not all(_HOST_LABEL.match(label) for label in host.split(".")):
        _refuse(url, "not a valid host name")
    if not _check_listed(host, policy.allowed_hosts, policy.disallowed_hosts):
        _refuse(url, f"host {host} is not allowed")
    port = port if port is not None else DEFAULT_PORTS[scheme]
    if policy.allowed_ports is not None and port not in policy.allowed_ports:
        _refuse(url, f"port {port} is not allowed")
    if port in policy.disallowed_ports:
        _refuse(url, f"port {port} is not allowed")

    addresses = [str(literal)] if literal is not None else resolver(host, port)
    if not addresses:
        _refuse(url, f"host {host} does not resolve")
    explicitly_allowed = host in policy.allowed_hosts
    usable, problems = [], []
    for address in addresses:
        problem = None if explicitly_allowed else _address_problem(address, policy)
        if problem is None:
            usable.append(address)
        else:
            problems.append(f"{address}: {problem}")
    if not usable or problems:
        # One refused address is enough: a name that mixes public and internal addresses is
        # a rebinding attempt waiting for the resolver to pick the internal one.
        _refuse(url, "; ".join(problems) or "no usable address")
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    return CheckedURL(
        url=url, scheme=scheme, host=host, port=port, target=target, addresses=tuple(usable)
    )
