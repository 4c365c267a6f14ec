from catalog.ui.session import projects_of, ui_context


def catalog(request):
    """The header's data on every page: the acting context and the projects to switch to."""
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    return {"catalog_ctx": ui_context(request), "catalog_projects": projects_of(request)}
