"""Repair data writes whose process died (for cron; every worker also sweeps on its own,
every CATALOG_RECOVERY_INTERVAL seconds): uploads and stages back to queued with their
leftovers removed, imports requeued or failed, the data of deleted images removed.
Idempotent; safe beside running workers."""

from django.core.management.base import BaseCommand

from catalog.services import recovery


class Command(BaseCommand):
    help = __doc__

    def handle(self, *args, **options):
        counts = recovery.sweep()
        self.stdout.write(
            "recovered: "
            + ", ".join(
                f"{counts[k]} {k}"
                for k in ("upload", "stage", "requeued", "failed", "deleted blobs")
            )
        )
