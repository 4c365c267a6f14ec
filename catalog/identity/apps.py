from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "catalog.identity"
    label = "identity"
    verbose_name = "Identity"
