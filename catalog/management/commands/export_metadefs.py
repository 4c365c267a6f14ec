"""manage.py export_metadefs DIR"""

from pathlib import Path

from django.core.management.base import BaseCommand

from catalog.services import metadef_files


class Command(BaseCommand):
    help = (
        "Write every metadata definition namespace to DIR, one JSON file each, in the "
        "format load_metadefs (and Glance's db_load_metadefs) reads."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory")

    def handle(self, *args, directory, **options):
        written = metadef_files.export_directory(Path(directory))
        self.stdout.write(f"Exported {len(written)} namespaces to {directory}")
