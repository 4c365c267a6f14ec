"""The built-in Keystone v3 subset under ``/identity``: discovery and ``auth/tokens``.

Thin views: bodies are checked by ``wire``, tokens issued and found by ``services``. Errors
use Keystone's body (``{"error": {"code", "title", "message"}}``), not the image API's.
"""

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from catalog.context import expand_roles
from catalog.exceptions import BadRequest, CatalogError, Forbidden, NotFound, Unauthorized
from catalog.http import client_address, json_body, public_base_url
from catalog.identity import projects as project_records
from catalog.identity import services, wire


def keystone_error(status: int, message: str, headers: dict | None = None) -> JsonResponse:
    response = JsonResponse(wire.error_body(status, message), status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def identity_url(request) -> str:
    return f"{public_base_url(request)}/identity"


@method_decorator(csrf_exempt, name="dispatch")
class IdentityView(View):
    """Base: switched off in external Keystone mode; CatalogErrors in Keystone's body."""

    def dispatch(self, request, *args, **kwargs):
        if settings.CATALOG_KEYSTONE_URL:
            return keystone_error(
                404,
                "The built-in identity service is disabled: this server trusts the Keystone "
                f"at {settings.CATALOG_KEYSTONE_URL}; ask it for tokens.",
            )
        try:
            return super().dispatch(request, *args, **kwargs)
        except Unauthorized as exc:
            # Keystone names itself in the challenge, so clients know where to authenticate.
            challenge = {"WWW-Authenticate": f'Keystone uri="{identity_url(request)}"'}
            return keystone_error(401, exc.message, challenge)
        except CatalogError as exc:
            return keystone_error(exc.status_code, exc.message, exc.headers)

    def http_method_not_allowed(self, request, *args, **kwargs):
        allowed = ", ".join(m.upper() for m in self._allowed_methods())
        return keystone_error(
            405,
            f"The method {request.method} is not allowed for this resource.",
            {"Allow": allowed},
        )


class IdentityVersionsView(IdentityView):
    """``GET /identity``: the versions Keystone offers (only v3), with 300 as Keystone does."""

    http_method_names = ["get"]

    def get(self, request):
        document = wire.version_document(identity_url(request))
        return JsonResponse({"versions": {"values": [document]}}, status=300)


class IdentityV3View(IdentityView):
    """``GET /identity/v3``: the v3 version document."""

    http_method_names = ["get"]

    def get(self, request):
        return JsonResponse({"version": wire.version_document(identity_url(request))})


class TokensView(IdentityView):
    """``/identity/v3/auth/tokens``: issue (POST), validate (GET, HEAD) and revoke (DELETE)."""

    http_method_names = ["post", "get", "head", "delete"]

    def post(self, request):
        body = json_body(request, expect=(dict,))
        problem = wire.auth_request_problem(body)
        if problem:
            raise BadRequest(problem)
        raw, token = services.authenticate(body["auth"], client_address(request))
        response = self._token_response(request, token, status=201)
        response["X-Subject-Token"] = raw
        return response

    def get(self, request):
        token = self._subject_token(request)
        response = self._token_response(request, token, status=200)
        response["X-Subject-Token"] = request.headers["X-Subject-Token"]
        return response

    def head(self, request):
        self._subject_token(request)
        response = HttpResponse(status=200)
        response["X-Subject-Token"] = request.headers["X-Subject-Token"]
        return response

    def delete(self, request):
        services.revoke(self._subject_token(request))
        return HttpResponse(status=204)

    def _subject_token(self, request):
        """The token named by ``X-Subject-Token``, if the caller may see it: an admin may
        see any token, a user their own (Keystone's admin_or_token_subject). Another user's
        token is a 404 like an unknown one, so that the answer tells no one which secrets
        exist (Keystone's 403 there is an existence oracle)."""
        caller_token, caller_roles = caller_of(request)
        subject_raw = request.headers.get("X-Subject-Token", "").strip()
        if not subject_raw:
            raise BadRequest("The X-Subject-Token header is required.")
        subject = services.token_with_roles(subject_raw)
        if subject is None or (
            "admin" not in caller_roles and caller_token.user_id != subject[0].user_id
        ):
            raise NotFound("Could not find token (it is unknown, expired or revoked).")
        return subject[0]

    def _token_response(self, request, token, status: int) -> JsonResponse:
        catalog = None if "nocatalog" in request.GET else service_catalog(request)
        roles = services.project_roles(token.user, token.project)
        return JsonResponse(wire.token_body(token, roles, catalog), status=status)


def service_catalog(request) -> list[dict]:
    image_url = settings.CATALOG_IDENTITY_IMAGE_ENDPOINT or public_base_url(request)
    return wire.service_catalog(image_url, identity_url(request), settings.CATALOG_REGION_NAME)


class AuthCatalogView(IdentityView):
    """``GET /identity/v3/auth/catalog``: the caller's service catalog (Keystone's route, which
    image services use to reach other services on a user's behalf)."""

    http_method_names = ["get"]

    def get(self, request):
        caller_of(request)
        return JsonResponse({"catalog": service_catalog(request), "links": {}})


class AuthProjectsView(IdentityView):
    """``GET /identity/v3/auth/projects``: the projects the caller may scope a token to
    (what Horizon, and our login page in external mode, list after a password login)."""

    http_method_names = ["get"]

    def get(self, request):
        token, _ = caller_of(request)
        url = identity_url(request)
        projects = project_records.projects_of_user(token.user)
        return JsonResponse(
            {
                "projects": [wire.project_body(p, url) for p in projects],
                "links": {"self": f"{url}/v3/auth/projects", "next": None, "previous": None},
            }
        )


def caller_of(request):
    """The (token, roles) of the ``X-Auth-Token`` caller; 401 without a valid one."""
    caller = services.token_with_roles(request.headers.get("X-Auth-Token", "").strip())
    if caller is None:
        raise Unauthorized("The request you have made requires authentication.")
    return caller[0], expand_roles(caller[1])


class ProjectListView(IdentityView):
    """``GET /identity/v3/projects[?name=]``: admins only, as in Keystone. The CLI asks it
    (after a 403 on the project itself) before sharing an image; a 403 here makes it use
    the project id as given."""

    http_method_names = ["get"]

    def get(self, request):
        _, roles = caller_of(request)
        if "admin" not in roles:
            raise Forbidden("You are not authorized to list projects.")
        projects = project_records.list_projects(name=request.GET.get("name"))
        url = identity_url(request)
        return JsonResponse(
            {
                "projects": [wire.project_body(p, url) for p in projects],
                "links": {"self": f"{url}/v3/projects", "next": None, "previous": None},
            }
        )


class ProjectView(IdentityView):
    """``GET /identity/v3/projects/{id}``: what the CLI asks before sharing an image with a
    project (``openstack image add project``). Keystone's rule: an admin, or a member of the
    project; anyone else gets 403, and the CLI then uses the id as given."""

    http_method_names = ["get"]

    def get(self, request, project_id):
        caller_token, caller_roles = caller_of(request)
        project = project_records.find_project(project_id)
        if "admin" not in caller_roles:
            if project is None or not services.project_roles(caller_token.user, project):
                raise Forbidden("You are not authorized to see this project.")
        if project is None:
            raise NotFound(f"Could not find project: {project_id}.")
        return JsonResponse({"project": wire.project_body(project, identity_url(request))})


def not_found(request, *args, **kwargs):
    return keystone_error(404, f"The resource could not be found: {request.path_info}")
