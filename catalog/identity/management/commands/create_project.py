from django.core.management.base import BaseCommand, CommandError

from catalog.exceptions import CatalogError
from catalog.identity import projects


class Command(BaseCommand):
    help = "Create a project (idempotent) and print its id."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--id", help="a fixed id (default: 32 random hex digits)")
        parser.add_argument("--description", default="")

    def handle(self, *args, name, id=None, description="", **options):
        try:
            project, created = projects.ensure_project(name, project_id=id, description=description)
        except CatalogError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(project.id)
        if not created:
            self.stderr.write(f"project {name} already exists")
