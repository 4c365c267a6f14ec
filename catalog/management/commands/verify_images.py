"""Re-hash the stored data of images and report every copy that differs from its record."""

from django.core.management.base import BaseCommand, CommandError

from catalog.choices import ImageStatus
from catalog.data import stores, streams
from catalog.models import ImageLocation


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("image_ids", nargs="*", help="Images to verify (default: all).")

    def handle(self, *args, image_ids, **options):
        locations = ImageLocation.objects.filter(
            status=ImageLocation.ACTIVE,
            image__deleted=False,
            image__status__in=[ImageStatus.ACTIVE, ImageStatus.DEACTIVATED],
        ).select_related("image")
        if image_ids:
            locations = locations.filter(image_id__in=image_ids)
        checked = bad = 0
        for location in locations.order_by("image_id", "id"):
            checked += 1
            problem = self.verify(location)
            if problem:
                bad += 1
                self.stdout.write(
                    f"MISMATCH {location.image_id} {location.store} {location.url}: {problem}"
                )
            else:
                self.stdout.write(f"ok {location.image_id} {location.store}")
        self.stdout.write(f"{checked} copies checked, {bad} mismatched")
        if bad:
            raise CommandError(f"{bad} stored copies do not match their image records")

    def verify(self, location) -> str:
        """What is wrong with one stored copy (empty: nothing).

        Not named ``check``: that is BaseCommand.check, the system checks that run before
        ``handle`` from the command line (``call_command`` skips them).
        """
        image = location.image
        store = stores.get_store(location.store)
        if store is None:
            return f"store {location.store!r} is not configured"
        try:
            reader = store.open(location.url)
            try:
                size, md5, secure = streams.hash_chunks(reader, image.os_hash_algo or "sha512")
            finally:
                reader.close()
        except stores.StoreError as exc:
            return f"unreadable: {exc}"
        problems = []
        if size != image.size:
            problems.append(f"size {size} != {image.size}")
        if md5 != image.checksum:
            problems.append(f"checksum {md5} != {image.checksum}")
        if secure != image.os_hash_value:
            problems.append(f"{image.os_hash_algo} differs")
        return ", ".join(problems)
