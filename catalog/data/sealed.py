"""Sealing short secrets the worker needs later (a user's token for glance-download), so that
the database never holds them in the clear. Keyed from SECRET_KEY: rotating it voids them,
which only fails imports that were queued at that moment."""

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


def _box() -> Fernet:
    key = hashlib.sha256(b"vitrine-sealed:" + settings.SECRET_KEY.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def seal(secret: str) -> str:
    return _box().encrypt(secret.encode()).decode()


def unseal(sealed: str) -> str | None:
    """The secret, or None when it cannot be opened (another key, tampered, empty)."""
    if not sealed:
        return None
    try:
        return _box().decrypt(sealed.encode()).decode()
    except (InvalidToken, ValueError):
        return None
