"""Background jobs by the import paths their queue entries record. The import job is defined
in ``catalog.services.imports.queue``; entries queued before it moved there name it here."""

from catalog.services.imports.queue import run_image_import

__all__ = ["run_image_import"]
