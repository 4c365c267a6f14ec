"""Show or set a project's quotas: ``manage.py project_quota PROJECT [--image-size-total N]``."""

from django.core.management.base import BaseCommand, CommandError

from catalog.exceptions import CatalogError
from catalog.identity.models import Project
from catalog.models import ProjectQuota
from catalog.services import quotas


class Command(BaseCommand):
    help = (
        "Show a project's quota limits and usage; with options, override limits first. "
        "Sizes in MiB, counts in images; -1 = unlimited; 'default' = back to the setting."
    )

    def add_arguments(self, parser):
        parser.add_argument("project", help="project name or id")
        for name in quotas.QUOTA_NAMES:
            parser.add_argument(
                f"--{name.replace('_', '-')}",
                dest=name,
                metavar="N|default",
                help=f"new {name} limit",
            )

    def handle(self, *args, **options):
        project_id = self._project_id(options["project"])
        changes = {}
        for name in quotas.QUOTA_NAMES:
            raw = options.get(name)
            if raw is None:
                continue
            if raw == "default":
                changes[name] = None
                continue
            try:
                changes[name] = int(raw)
            except ValueError:
                raise CommandError(
                    f"--{name.replace('_', '-')}: {raw!r} is not an integer."
                ) from None
        if changes:
            try:
                quotas.set_project_quota(project_id, **changes)
            except CatalogError as exc:
                raise CommandError(exc.message) from None
        overrides = ProjectQuota.objects.filter(project_id=project_id).first()
        info = quotas.usage_info(project_id)["usage"]
        self.stdout.write(f"project {project_id}")
        for name, figures in info.items():
            source = "override" if getattr(overrides, name, None) is not None else "default"
            unit = "MiB" if name in quotas.SIZE_QUOTAS else "images"
            self.stdout.write(
                f"  {name:<22} limit {figures['limit']:>10} ({source})  "
                f"usage {figures['usage']:>10} {unit}"
            )

    def _project_id(self, given: str) -> str:
        """A local project by name or id; otherwise the id as given (external Keystone)."""
        project = (
            Project.objects.filter(name=given).first() or Project.objects.filter(pk=given).first()
        )
        return project.id if project else given
