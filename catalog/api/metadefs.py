"""The metadata definitions catalog: ``/v2/metadefs/namespaces`` with its properties,
objects, tags and resource type associations, and ``/v2/metadefs/resource_types``.

Views parse, call one service, serialise; policy and rules live below
(``services/metadefs.py``, ``domain/metadefs.py``).
"""

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema

from catalog.api import openapi
from catalog.api.base import CatalogViewSet
from catalog.domain import metadefs as rules
from catalog.exceptions import BadRequest, NotFound
from catalog.http import json_body, public_base_url
from catalog.reads import metadefs as wire
from catalog.services import metadefs as service

_ANY = {"type": "object", "additionalProperties": True}


def _body(description: str, schema: dict | None = None) -> OpenApiResponse:
    return OpenApiResponse(response=schema or _ANY, description=description)


def _schema_of(name: str) -> dict:
    """An OpenAPI view of a published document: its top-level properties, without the
    JSON Schema ``definitions`` they refer to (not OpenAPI)."""
    props = rules.schema_document(name)["properties"]
    return {
        "type": "object",
        "properties": {
            k: v for k, v in props.items() if "$ref" not in str(v) and "null" not in str(v)
        },
        "additionalProperties": True,
    }


NAMESPACE = _schema_of("namespace")
PROPERTY = _schema_of("property")
OBJECT = _schema_of("object")
TAG = _schema_of("tag")
ASSOCIATION = _schema_of("resource_type")


def _json(payload, status=200) -> JsonResponse:
    return JsonResponse(payload, status=status)


def _no_content() -> HttpResponse:
    return HttpResponse(status=204)


def _op(op_id: str, codes, ok, request=None, parameters=()):
    return extend_schema(
        operation_id=op_id,
        request=request,
        responses={**ok, **openapi.errors(*codes)},
        parameters=list(parameters),
    )


_LIMIT = openapi.query("limit", "Page size (default 25, at most 1000; 0: an empty page)", int)
_SORT_DIR = openapi.query("sort_dir", "asc or desc (default desc)", enum=["asc", "desc"])
_RESOURCE_TYPE = openapi.query(
    "resource_type", "A resource type: property names carry its association's prefix"
)
NAMESPACE_LIST_PARAMETERS = [
    _LIMIT,
    openapi.query("marker", "The name of the last namespace of the previous page"),
    openapi.query(
        "sort_key", "Sort key (default created_at)", enum=list(rules.NAMESPACE_SORT_KEYS)
    ),
    _SORT_DIR,
    openapi.query("visibility", "public or private", enum=list(rules.VISIBILITIES)),
    openapi.query("resource_types", "Comma-separated resource type names (any of them)"),
]
TAG_LIST_PARAMETERS = [
    openapi.query("limit", "Most tags to return (absent or 0: all)", int),
    openapi.query("marker", "The name of the last tag of the previous page"),
    openapi.query("sort_key", "Sort key (default created_at)", enum=list(rules.TAG_SORT_KEYS)),
    _SORT_DIR,
]
APPEND = OpenApiParameter(
    "X-Openstack-Append",
    str,
    OpenApiParameter.HEADER,
    description="true: add to the existing tags; otherwise they are replaced",
)


class MetadefViewSet(CatalogViewSet):
    """What every metadefs route shares: no path segment or body text with NUL reaches a
    query (PostgreSQL refuses NUL: the answer would be a 500). The query values a route reads
    are handled where they are read, with the answers the route documents."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if any("\x00" in str(value) for value in kwargs.values()):
            raise NotFound("No metadata definition has a name with NUL characters.")

    def body(self, request):
        document = json_body(request)
        rules.check_no_nul(document)
        return document


class NamespaceViewSet(MetadefViewSet):
    """Namespaces of metadata definitions. Reads: admins, and readers of the owner project
    or of public namespaces; writes: admins."""

    lookup_url_kwarg = "namespace"
    http_method_names = ["get", "post", "put", "delete"]

    @_op(
        "metadefs_namespaces_list",
        (400, 401, 403, 404),
        {
            200: _body(
                "Namespaces",
                {
                    "type": "object",
                    "properties": {
                        "namespaces": {"type": "array", "items": NAMESPACE},
                        "first": {"type": "string"},
                        "next": {"type": "string"},
                        "schema": {"type": "string"},
                    },
                },
            )
        },
        parameters=NAMESPACE_LIST_PARAMETERS,
    )
    def list(self, request):
        q = request.query_params
        limit = rules.parse_limit(
            q.get("limit"),
            default=settings.CATALOG_LIMIT_PARAM_DEFAULT,
            maximum=settings.CATALOG_API_LIMIT_MAX,
        )
        rows = service.list_namespaces(
            self.ctx,
            limit=limit,
            marker=q.get("marker") or None,  # "?marker=" starts at the first page
            sort_key=rules.parse_sort_key(
                q.get("sort_key"), rules.NAMESPACE_SORT_KEYS, "created_at"
            ),
            sort_dir=rules.parse_sort_dir(q.get("sort_dir")),
            visibility=rules.parse_visibility(q.get("visibility")),
            resource_types=[n for n in q.get("resource_types", "").split(",") if n],
        )
        query = {k: q.get(k) for k in q}
        return _json(
            wire.namespace_list_body(rows, base="/v2/metadefs/namespaces", query=query, limit=limit)
        )

    @_op(
        "metadefs_namespaces_create",
        (400, 401, 403, 409),
        {201: _body("Namespace", NAMESPACE)},
        request={"application/json": NAMESPACE},
    )
    def create(self, request):
        namespace, cleaned = service.create_namespace(self.ctx, self.body(request))
        response = _json(wire.created_namespace(namespace, cleaned), status=201)
        response["Location"] = public_base_url(request) + wire.namespace_self(namespace.namespace)
        return response

    @_op(
        "metadefs_namespaces_retrieve",
        (401, 404),
        {200: _body("Namespace", NAMESPACE)},
        parameters=[_RESOURCE_TYPE],
    )
    def retrieve(self, request, namespace):
        row = service.get_namespace(self.ctx, namespace)
        prefix = wire.association_prefix(row, request.query_params.get("resource_type"))
        return _json(wire.namespace_show(row, prefix))

    @_op(
        "metadefs_namespaces_update",
        (400, 401, 403, 404, 409),
        {200: _body("Namespace", NAMESPACE)},
        request={"application/json": NAMESPACE},
    )
    def update(self, request, namespace):
        row = service.update_namespace(self.ctx, namespace, self.body(request))
        # As Glance: the attributes only, no children or associations.
        body = wire.serialize_namespace(row, associations=False)
        return _json(wire.with_links(body, row.namespace))

    @_op("metadefs_namespaces_destroy", (401, 403, 404), {204: None})
    def destroy(self, request, namespace):
        service.delete_namespace(self.ctx, namespace)
        return _no_content()


class _ChildViewSet(MetadefViewSet):
    lookup_url_kwarg = "name"
    http_method_names = ["get", "post", "put", "delete"]
    kind = ""

    def destroy_all(self, request, namespace):
        service.delete_children(self.ctx, namespace, self.kind)
        return _no_content()


class PropertyViewSet(_ChildViewSet):
    """The property definitions of a namespace (a map keyed by name)."""

    kind = "properties"

    @_op("metadefs_properties_list", (401, 404), {200: _body("Properties")})
    def list(self, request, namespace):
        rows = service.list_properties(self.ctx, namespace)
        return _json({"properties": {r.name: wire.serialize_property(r) for r in rows}})

    @_op(
        "metadefs_properties_create",
        (400, 401, 403, 404, 409),
        {201: _body("Property", PROPERTY)},
        request={"application/json": PROPERTY},
    )
    def create(self, request, namespace):
        row = service.create_property(self.ctx, namespace, self.body(request))
        return _json(wire.serialize_property(row), status=201)

    @_op(
        "metadefs_properties_retrieve",
        (401, 404),
        {200: _body("Property", PROPERTY)},
        parameters=[_RESOURCE_TYPE],
    )
    def retrieve(self, request, namespace, name):
        row = service.get_property(
            self.ctx, namespace, name, request.query_params.get("resource_type")
        )
        return _json(wire.serialize_property(row))

    @_op(
        "metadefs_properties_update",
        (400, 401, 403, 404, 409),
        {200: _body("Property", PROPERTY)},
        request={"application/json": PROPERTY},
    )
    def update(self, request, namespace, name):
        row = service.update_property(self.ctx, namespace, name, self.body(request))
        return _json(wire.serialize_property(row))

    @_op("metadefs_properties_destroy", (401, 403, 404), {204: None})
    def destroy(self, request, namespace, name):
        service.delete_property(self.ctx, namespace, name)
        return _no_content()

    @_op("metadefs_properties_destroy_all", (401, 403, 404), {204: None})
    def destroy_all(self, request, namespace):
        return super().destroy_all(request, namespace)


class ObjectViewSet(_ChildViewSet):
    """The objects of a namespace: named groups of property definitions."""

    kind = "objects"

    @_op("metadefs_objects_list", (400, 401, 404), {200: _body("Objects")})
    def list(self, request, namespace):
        # Accepted and checked as Glance does, but the list is not paginated (docs/glance-differences.md#metadef-quirks).
        if request.query_params.get("limit") == "0":
            raise BadRequest("limit param must be positive")
        rules.parse_limit(request.query_params.get("limit"), default=None, maximum=10**9)
        rules.parse_sort_dir(request.query_params.get("sort_dir"))
        rows = service.list_objects(self.ctx, namespace)
        return _json(
            {
                "objects": [wire.serialize_object(r, namespace) for r in rows],
                "schema": "v2/schemas/metadefs/objects",  # as Glance: docs/glance-differences.md#metadef-quirks
            }
        )

    @_op(
        "metadefs_objects_create",
        (400, 401, 403, 404, 409),
        {201: _body("Object", OBJECT)},
        request={"application/json": OBJECT},
    )
    def create(self, request, namespace):
        row = service.create_object(self.ctx, namespace, self.body(request))
        return _json(wire.serialize_object(row, namespace, compact=True), status=201)

    @_op("metadefs_objects_retrieve", (401, 404), {200: _body("Object", OBJECT)})
    def retrieve(self, request, namespace, name):
        return _json(
            wire.serialize_object(service.get_object(self.ctx, namespace, name), namespace)
        )

    @_op(
        "metadefs_objects_update",
        (400, 401, 403, 404, 409),
        {200: _body("Object", OBJECT)},
        request={"application/json": OBJECT},
    )
    def update(self, request, namespace, name):
        row = service.update_object(self.ctx, namespace, name, self.body(request))
        return _json(wire.serialize_object(row, namespace))

    @_op("metadefs_objects_destroy", (401, 403, 404), {204: None})
    def destroy(self, request, namespace, name):
        service.delete_object(self.ctx, namespace, name)
        return _no_content()

    @_op("metadefs_objects_destroy_all", (401, 403, 404), {204: None})
    def destroy_all(self, request, namespace):
        return super().destroy_all(request, namespace)


class TagViewSet(_ChildViewSet):
    """The tags of a namespace: bulk create (append or replace), one-by-one create."""

    kind = "tags"

    def initial(self, request, *args, **kwargs):
        # POST …/tags/{name} creates from the URL alone: a body there is a 400.
        if self.action == "create_one":
            self.bodiless_methods = frozenset({"GET", "DELETE", "POST"})
        super().initial(request, *args, **kwargs)

    @_op(
        "metadefs_tags_list", (400, 401, 404), {200: _body("Tags")}, parameters=TAG_LIST_PARAMETERS
    )
    def list(self, request, namespace):
        q = request.query_params
        rows = service.list_tags(
            self.ctx,
            namespace,
            sort_key=rules.parse_sort_key(q.get("sort_key"), rules.TAG_SORT_KEYS, "created_at"),
            sort_dir=rules.parse_sort_dir(q.get("sort_dir")),
            limit=rules.parse_limit(q.get("limit"), default=None, maximum=10**9),
            marker=q.get("marker") or None,  # "?marker=" starts at the first page
        )
        return _json({"tags": [{"name": r.name} for r in rows]})

    @_op(
        "metadefs_tags_create",
        (400, 401, 403, 404, 409),
        {201: _body("Tags")},
        request={"application/json": rules.TAGS_BODY_SCHEMA},
        parameters=[APPEND],
    )
    def create(self, request, namespace):
        append = rules.is_true(request.headers.get("X-Openstack-Append"))
        rows = service.create_tags(self.ctx, namespace, self.body(request), append=append)
        return _json({"tags": [{"name": r.name} for r in rows]}, status=201)

    @_op("metadefs_tags_create_one", (400, 401, 403, 404, 409), {201: _body("Tag", TAG)})
    def create_one(self, request, namespace, name):
        return _json(wire.serialize_tag(service.create_tag(self.ctx, namespace, name)), 201)

    @_op("metadefs_tags_retrieve", (401, 404), {200: _body("Tag", TAG)})
    def retrieve(self, request, namespace, name):
        return _json(wire.serialize_tag(service.get_tag(self.ctx, namespace, name)))

    @_op(
        "metadefs_tags_update",
        (400, 401, 403, 404, 409),
        {200: _body("Tag", TAG)},
        request={"application/json": TAG},
    )
    def update(self, request, namespace, name):
        row = service.update_tag(self.ctx, namespace, name, self.body(request))
        return _json(wire.serialize_tag(row))

    @_op("metadefs_tags_destroy", (401, 403, 404), {204: None})
    def destroy(self, request, namespace, name):
        service.delete_tag(self.ctx, namespace, name)
        return _no_content()

    @_op("metadefs_tags_destroy_all", (401, 403, 404), {204: None})
    def destroy_all(self, request, namespace):
        return super().destroy_all(request, namespace)


class ResourceTypeViewSet(MetadefViewSet):
    """Every resource type the catalog knows, whatever the namespaces' visibility."""

    http_method_names = ["get"]

    @_op("metadefs_resource_types_list", (401, 403), {200: _body("Resource types")})
    def list(self, request):
        rows = service.list_resource_types(self.ctx)
        return _json({"resource_types": [wire.serialize_resource_type(r) for r in rows]})


class AssociationViewSet(MetadefViewSet):
    """The resource types a namespace is associated with, and their prefixes."""

    lookup_url_kwarg = "resource_type"
    http_method_names = ["get", "post", "delete"]

    @_op("metadefs_associations_list", (401, 404), {200: _body("Associations")})
    def list(self, request, namespace):
        rows = service.list_associations(self.ctx, namespace)
        return _json({"resource_type_associations": [wire.serialize_association(r) for r in rows]})

    @_op(
        "metadefs_associations_create",
        (400, 401, 403, 404, 409),
        {201: _body("Association", ASSOCIATION)},
        request={"application/json": ASSOCIATION},
    )
    def create(self, request, namespace):
        row = service.associate(self.ctx, namespace, self.body(request))
        return _json(wire.serialize_association(row), status=201)

    @_op("metadefs_associations_destroy", (401, 403, 404), {204: None})
    def destroy(self, request, namespace, resource_type):
        service.dissociate(self.ctx, namespace, resource_type)
        return _no_content()
