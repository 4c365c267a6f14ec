"""Remove image data nobody should keep: first the writes whose process died (the recovery
sweep, as `manage.py recover`), then blobs of deleted images whose removal failed, blobs that
no location names (orphans), and temporary files older than --min-age."""

from django.core.management.base import BaseCommand
from django.db.models import Q

from catalog.choices import ImageStatus
from catalog.data import staging, stores
from catalog.models import Image, ImageLocation
from catalog.services import blobs, recovery

# Images whose blobs may exist before their location row does: being uploaded, or imported.
WRITING = Q(status__in=[ImageStatus.SAVING, ImageStatus.IMPORTING]) | Q(
    properties__name="os_glance_import_task"
)
# Images whose staged data an import still needs.
STAGED = Q(status__in=[ImageStatus.UPLOADING, ImageStatus.IMPORTING]) | Q(
    properties__name="os_glance_import_task"
)


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument(
            "--min-age",
            type=int,
            default=3600,
            help="Only remove unfinished uploads older than this many seconds (default 3600).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Report what would be removed; change nothing."
        )

    def handle(self, *args, min_age, dry_run, **options):
        if not dry_run:
            counts = recovery.sweep()
            self.stdout.write(f"dead writes recovered: {sum(counts.values())}")
        pending = list(ImageLocation.objects.filter(status=ImageLocation.PENDING_DELETE))
        if dry_run:
            for location in pending:
                self.stdout.write(
                    f"would remove {location.url} (deleted image {location.image_id})"
                )
        else:
            removed, failed = blobs.remove_pending(pending)
            self.stdout.write(f"deleted images: {removed} blobs removed, {failed} failed")
        orphans = 0
        for store in [*stores.all_stores().values(), staging.staging_store()]:
            for url in self.orphans(store):
                orphans += 1
                self.stdout.write(f"{'would remove' if dry_run else 'removing'} orphan {url}")
                if not dry_run:
                    try:
                        store.delete(url)
                    except stores.StoreError as exc:
                        self.stderr.write(f"could not remove {url}: {exc}")
            if not dry_run:
                for name in self.unfinished(store, min_age):
                    self.stdout.write(f"removed unfinished upload {name} in store {store.id}")
        self.stdout.write(f"orphans: {orphans}")

    def orphans(self, store):
        """Blobs no location names, except those of writes in progress (whose location is
        written just after the blob is committed); in the staging area, staged data that no
        import needs any more."""
        if store.id == staging.STAGING_STORE_ID:
            known, keep = set(), STAGED
        else:
            known = set(ImageLocation.objects.filter(store=store.id).values_list("url", flat=True))
            keep = WRITING
        for key, url in store.list_blobs():
            if url in known:
                continue
            if Image.objects.filter(keep, pk=key, deleted=False).exists():
                continue
            yield url

    def unfinished(self, store, min_age):
        if hasattr(store, "remove_stale_temporaries"):
            return store.remove_stale_temporaries(min_age)
        if hasattr(store, "abort_stale_uploads"):
            return store.abort_stale_uploads(min_age)
        return []
