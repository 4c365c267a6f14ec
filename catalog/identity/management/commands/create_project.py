from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from catalog.identity.models import Project


class Command(BaseCommand):
    help = "Create a project (idempotent) and print its id."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--id", help="a fixed id (default: 32 random hex digits)")
        parser.add_argument("--description", default="")

    def handle(self, *args, name, id=None, description="", **options):
        project = Project.objects.filter(name=name).first()
        created = project is None
        if created:
            project = Project(name=name, description=description, **({"id": id} if id else {}))
            # The model's rules (not blank, at most 64 characters, unique): an empty or a
            # 300-character name was stored, or crashed on PostgreSQL.
            try:
                project.full_clean()
            except ValidationError as exc:
                raise CommandError("; ".join(exc.messages)) from None
            project.save()
        self.stdout.write(project.id)
        if not created:
            self.stderr.write(f"project {name} already exists")
