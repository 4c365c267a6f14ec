from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "catalog.identity"
    label = "identity"
    verbose_name = "Identity"

    def ready(self):
        from catalog.identity import (
            checks,  # noqa: F401  (registers the deployment checks)
            services,  # noqa: F401  (connects the revocation receivers)
        )
