"""Apply the families' retention now (every worker also runs it each
CATALOG_LIFECYCLE_INTERVAL seconds): deactivate versions older than a family's newest N,
delete those whose grace period has passed. --dry-run lists the steps and changes nothing."""

from django.core.management.base import BaseCommand

from catalog.services import retention


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="list, change nothing")

    def handle(self, *args, dry_run=False, **options):
        steps = retention.run(dry_run=dry_run)
        prefix = "would " if dry_run else ""
        for step in steps:
            self.stdout.write(f"{prefix}{step}")
        self.stdout.write(f"{len(steps)} step(s){' (dry run)' if dry_run else ''}")
