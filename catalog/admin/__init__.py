"""The Django admin, one module per area; importing the package registers them all
(Django's admin autodiscovery imports ``catalog.admin``)."""

from catalog.admin import identity, images, metadefs, publication, quotas  # noqa: F401
