"""Limits on password guessing, for every place a password is checked: the identity API's
``POST /identity/v3/auth/tokens``, the catalog's login and the admin's login.

Wrong passwords are counted in two sliding windows of ``CATALOG_LOGIN_LOCKOUT_SECONDS``: one
per (account, client address) pair, limited to ``CATALOG_LOGIN_MAX_FAILURES``, and one per
client address, limited to ``CATALOG_LOGIN_ADDRESS_MAX_FAILURES`` (many accounts tried from
one place). Keying on the address means that nobody can lock an account out from elsewhere. A
successful login clears its pair's window. The windows are DRF's ``SimpleRateThrottle``
history lists in Django's default cache (``CATALOG_CACHE_URL``), shared by every API node.
"""

import hashlib
import logging
import math

from django.conf import settings
from django.core.exceptions import ValidationError
from rest_framework.throttling import SimpleRateThrottle

from catalog.exceptions import TooManyRequests
from catalog.http import client_address
from catalog.identity import signals

logger = logging.getLogger("catalog.identity")


class FailureWindow(SimpleRateThrottle):
    """DRF's sliding window, counting failed passwords rather than requests."""

    cache_format = "catalog-login:%(scope)s:%(ident)s"

    def __init__(self, scope: str, ident: str, limit: int, seconds: int):
        # SimpleRateThrottle.__init__ reads a rate string from DRF's settings; ours come from
        # the catalog's own, so set what it would have set.
        digest = hashlib.sha256(ident.encode("utf-8", "surrogatepass")).hexdigest()
        self.key = self.cache_format % {"scope": scope, "ident": digest}
        self.num_requests, self.duration = limit, seconds
        self.now = self.timer()
        self.history = [t for t in self.cache.get(self.key, []) if t > self.now - seconds]

    def full(self) -> bool:
        return len(self.history) >= self.num_requests

    def retry_after(self) -> float:
        """Seconds until the window holds fewer failures than its limit."""
        return self.duration - (self.now - self.history[self.num_requests - 1])

    def record(self) -> None:
        self.throttle_success()  # puts the time first in the history and stores it

    def clear(self) -> None:
        self.cache.delete(self.key)


class Attempt:
    """One password check by ``account`` from ``address``: ``guard`` opens it."""

    def __init__(self, account: str, address: str):
        self.account, self.address = account, address
        seconds = settings.CATALOG_LOGIN_LOCKOUT_SECONDS
        self.pair = FailureWindow(
            "account", f"{account}\n{address}", settings.CATALOG_LOGIN_MAX_FAILURES, seconds
        )
        self.per_address = FailureWindow(
            "address", address, settings.CATALOG_LOGIN_ADDRESS_MAX_FAILURES, seconds
        )

    def locked_for(self) -> int:
        """Seconds until another attempt is allowed; 0 when it is now."""
        waits = [w.retry_after() for w in (self.pair, self.per_address) if w.full()]
        return max(1, math.ceil(max(waits))) if waits else 0

    def failed(self) -> None:
        signals.login_failed.send(Attempt, account=self.account, address=self.address)
        for window in (self.pair, self.per_address):
            was_full = window.full()
            window.record()
            if window.full() and not was_full:
                logger.warning(
                    "Login locked out: %d failed passwords for %s from %s in %d s",
                    len(window.history),
                    repr(self.account) if window is self.pair else "any account",
                    self.address,
                    window.duration,
                )
                signals.locked_out.send(
                    Attempt,
                    account=self.account if window is self.pair else "",
                    address=self.address,
                )

    def succeeded(self) -> None:
        self.pair.clear()
        signals.login_succeeded.send(Attempt, account=self.account, address=self.address)


def guard(account: str, address: str) -> Attempt:
    """Open a password check; ``TooManyRequests`` (with ``Retry-After``) while locked out."""
    attempt = Attempt(account, address)
    wait = attempt.locked_for()
    if wait:
        raise TooManyRequests(
            f"Too many failed logins from your address: try again in {wait} seconds.",
            headers={"Retry-After": str(wait)},
        )
    return attempt


def guard_login_form(request, username: str) -> Attempt:
    """``guard`` for an HTML login form (the catalog's, the admin's): a lock-out is the
    form's error, and the client address is the request's."""
    try:
        return guard(username, client_address(request))
    except TooManyRequests as exc:
        raise ValidationError(exc.message, code="locked_out") from None
