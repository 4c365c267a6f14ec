from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "catalog"
    verbose_name = "Image catalog"

    def ready(self) -> None:
        from catalog import checks  # noqa: F401  (registers the system checks)
        from catalog.reads.planner import connect_planner_upkeep

        connect_planner_upkeep()

        from catalog.services.events import connect_identity_events

        connect_identity_events()
