from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from catalog.exceptions import CatalogError
from catalog.identity import services
from catalog.identity.management.commands.create_user import find_project


class Command(BaseCommand):
    help = "Issue a project-scoped API token and print it (it is shown only once)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--project", required=True, help="project name or id")
        parser.add_argument(
            "--ttl", type=int, help="lifetime in seconds (default CATALOG_TOKEN_TTL)"
        )

    def handle(self, *args, username, project, ttl=None, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        try:
            raw, token = services.issue_token(
                user, find_project(project), ttl, "management command"
            )
        except CatalogError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(raw)
        self.stderr.write(f"expires at {token.expires_at:%Y-%m-%dT%H:%M:%SZ}")
