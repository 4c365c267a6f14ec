"""manage.py load_metadefs [DIR] [--merge [--prefer-new] [--overwrite]]"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from catalog.services import metadef_files


class Command(BaseCommand):
    help = (
        "Load metadata definition namespaces from the JSON files of DIR (Glance's "
        "db_load_metadefs format); without DIR, Vitrine's starter set. Existing namespaces "
        "are skipped unless --merge."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", nargs="?", help="a directory of *.json namespace files")
        parser.add_argument(
            "--merge", action="store_true", help="add the children existing namespaces lack"
        )
        parser.add_argument(
            "--prefer-new",
            action="store_true",
            help="with --merge: the file's attributes and children replace the stored ones",
        )
        parser.add_argument(
            "--overwrite",
            action="store_true",
            help="with --merge: remove an existing namespace's children before loading",
        )

    def handle(self, *args, directory, merge, prefer_new, overwrite, **options):
        if (prefer_new or overwrite) and not merge:
            raise CommandError("--prefer-new and --overwrite need --merge.")
        path = Path(directory) if directory else metadef_files.STARTER_DIR
        if not path.is_dir():
            # Glance logs and exits 0 here (docs/glance-differences.md#metadef-loader).
            raise CommandError(f"{path} is not a directory.")
        report = metadef_files.load_directory(
            path, merge=merge, prefer_new=prefer_new, overwrite=overwrite
        )
        for label in ("created", "merged", "skipped"):
            names = getattr(report, label)
            if names:
                self.stdout.write(f"{label.capitalize()}: {', '.join(names)}")
        for warning in report.warnings:
            self.stderr.write(f"Warning: {warning}")
        if report.errors:
            raise CommandError(
                "Not loaded (nothing from these files was written):\n  "
                + "\n  ".join(report.errors)
            )
