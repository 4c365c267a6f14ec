"""Deployment checks of the identity settings (``manage.py check --deploy``)."""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Tags, Warning, register

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


@register(Tags.security, deploy=True)
def keystone_over_plain_http(app_configs, **kwargs):
    url = urlsplit(settings.CATALOG_KEYSTONE_URL)
    if url.scheme == "http" and url.hostname not in LOOPBACK:
        return [
            Warning(
                "CATALOG_KEYSTONE_URL is plain http: the service account's password and "
                "every user token cross the network unencrypted.",
                hint="Use Keystone's https endpoint.",
                id="identity.W001",
            )
        ]
    return []
