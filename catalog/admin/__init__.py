"""The Django admin, one module per area; importing the package registers them all
(Django's admin autodiscovery imports ``catalog.admin``)."""

from catalog.admin import images, publication, quotas  # noqa: F401
