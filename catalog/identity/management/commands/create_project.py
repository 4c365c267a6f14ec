from django.core.management.base import BaseCommand

from catalog.identity.models import Project


class Command(BaseCommand):
    help = "Create a project (idempotent) and print its id."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--id", help="a fixed id (default: 32 random hex digits)")
        parser.add_argument("--description", default="")

    def handle(self, *args, name, id=None, description="", **options):
        defaults = {"description": description}
        if id:
            defaults["id"] = id
        project, created = Project.objects.get_or_create(name=name, defaults=defaults)
        self.stdout.write(project.id)
        if not created:
            self.stderr.write(f"project {name} already exists")
