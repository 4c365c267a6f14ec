from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from catalog.choices import Role
from catalog.identity import services
from catalog.identity.models import Project


class Command(BaseCommand):
    help = "Create a user (idempotent) and give it a role in a project."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--password", help="set on creation only")
        parser.add_argument("--project", required=True, help="project name or id")
        parser.add_argument("--role", default=Role.MEMBER, choices=Role.values)
        parser.add_argument("--staff", action="store_true", help="may log in to the Django admin")

    def handle(self, *args, username, password, project, role, staff, **options):
        target = find_project(project)
        username_field = get_user_model()._meta.get_field("username")
        try:
            # Django's own username rules (the admin's): an empty name was accepted.
            username_field.clean(username, None)
        except ValidationError as exc:
            raise CommandError(f"Invalid username {username!r}: {' '.join(exc.messages)}") from None
        user, created = services.ensure_user(username, password, is_staff=staff)
        services.assign_role(user, target, role)
        verb = "created" if created else "updated"
        self.stdout.write(f"{verb} {username}: {role} of {target.name} ({target.id})")


def find_project(name_or_id: str) -> Project:
    project = (
        Project.objects.filter(name=name_or_id).first()
        or Project.objects.filter(pk=name_or_id).first()
    )
    if project is None:
        raise CommandError(f"No project named {name_or_id!r} (create it with create_project).")
    return project
