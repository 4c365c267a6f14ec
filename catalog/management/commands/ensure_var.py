"""manage.py ensure_var: the directory and the secret key a bare checkout runs with.

Settings create nothing when they are imported; ``make run`` (and ``make worker``) call this
before ``migrate``, so the SQLite database, the store and every process of the server find
``var/`` and one shared key in it.
"""

import os
import secrets

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Create CATALOG_VAR_DIR (var/) and, unless SECRET_KEY is set in the environment, "
        "generate the secret key into var/secret_key once."
    )
    # It is what makes the catalog.E001/E002 checks pass: it must run while they fail.
    requires_system_checks = []

    def handle(self, *args, **options):
        settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
        if os.environ.get("SECRET_KEY"):
            return
        try:
            fd = os.open(settings.SECRET_KEY_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(50))
        self.stdout.write(f"Generated a secret key into {settings.SECRET_KEY_FILE}.")
