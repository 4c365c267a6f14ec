"""Projects of the built-in identity: finding, listing and creating them. External Keystone
mode records the projects it sees here too (``external.record_project``)."""

from django.core.exceptions import ValidationError

from catalog import ids
from catalog.exceptions import BadRequest
from catalog.identity.models import Project

# The one domain of the built-in identity, as Keystone names its default domain.
DEFAULT_DOMAIN = {"id": "default", "name": "Default"}


def ensure_project(name: str, *, project_id: str | None = None, description: str = "", **extra):
    """The project named ``name``, created (and checked against the model's rules: not blank,
    at most 64 characters, unique) when missing; returns (project, created)."""
    project = Project.objects.filter(name=name).first()
    if project is not None:
        return project, False
    if project_id and not ids.is_project_id(project_id):
        raise BadRequest(
            f"Invalid project id {project_id!r}: use 1 to 64 ASCII letters, digits, - or _."
        )
    project = Project(
        name=name, description=description, **({"id": project_id} if project_id else {}), **extra
    )
    try:
        project.full_clean()
    except ValidationError as exc:
        raise BadRequest("; ".join(exc.messages)) from None
    project.save(force_insert=True)
    return project, True


def projects_of_user(user) -> list[Project]:
    """The enabled projects where ``user`` has a role."""
    return list(Project.objects.filter(memberships__user=user, enabled=True).distinct())


def find_project(project_id) -> Project | None:
    """The project with this id; None when there is none or the text cannot be an id."""
    if not ids.is_project_id(project_id):
        return None
    return Project.objects.filter(pk=project_id).first()


def list_projects(name: str | None = None):
    projects = Project.objects.filter(domain_id=DEFAULT_DOMAIN["id"])
    if name is not None and "\x00" in name:  # as in find_project
        return projects.none()
    return projects.filter(name=name) if name is not None else projects
