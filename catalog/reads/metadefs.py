"""Metadefs: lookups, the namespace list, and the wire dicts of every metadef resource.

Unset attributes are omitted from bodies, as Glance does; timestamps are
``YYYY-MM-DDTHH:MM:SSZ``.
"""

from urllib.parse import quote, urlencode

from django.db.models import F, Prefetch

from catalog import policy
from catalog.context import RequestContext
from catalog.domain.metadefs import PROPERTY_KEYS
from catalog.exceptions import NotFound
from catalog.models import (
    MetadefNamespace,
    MetadefObject,
    MetadefProperty,
    MetadefResourceType,
    MetadefResourceTypeAssociation,
    MetadefTag,
)

NS_NOT_FOUND = "Metadata definition namespace={name} was not found."
NS_NOT_FOUND_SHORT = "Namespace {name} not found"
_SEGMENT_SAFE = ":@!$&'()*+,;="


def segment(name: str) -> str:
    """A name as one URL path segment (docs/glance-differences.md#metadef-self-links)."""
    return quote(name, safe=_SEGMENT_SAFE)


def stamp(value) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


def _timestamps(row) -> dict:
    out = {"created_at": stamp(row.created_at)}
    if row.updated_at:
        out["updated_at"] = stamp(row.updated_at)
    return out


# --- Lookups ------------------------------------------------------------------------------


def _associations():
    return Prefetch(
        "associations",
        queryset=MetadefResourceTypeAssociation.objects.select_related("resource_type").order_by(
            "id"
        ),
    )


def find_namespace_or_none(name: str) -> MetadefNamespace | None:
    return MetadefNamespace.objects.filter(namespace=name).first()


def find_namespace(name: str, message: str = NS_NOT_FOUND) -> MetadefNamespace:
    try:
        return MetadefNamespace.objects.get(namespace=name)
    except MetadefNamespace.DoesNotExist:
        raise NotFound(message.format(name=name)) from None


def lock_namespace(name: str, message: str) -> MetadefNamespace:
    try:
        return MetadefNamespace.objects.select_for_update().get(namespace=name)
    except MetadefNamespace.DoesNotExist:
        raise NotFound(message.format(name=name)) from None


def namespace_detail(namespace: MetadefNamespace) -> MetadefNamespace:
    """The namespace with every child loaded (a constant number of queries)."""
    return MetadefNamespace.objects.prefetch_related(
        _associations(),
        Prefetch("properties", queryset=MetadefProperty.objects.order_by("name")),
        Prefetch("defined_objects", queryset=MetadefObject.objects.order_by("name")),
        Prefetch("tags", queryset=MetadefTag.objects.order_by("-created_at", "-id")),
    ).get(pk=namespace.pk)


def list_namespaces(
    ctx: RequestContext,
    *,
    limit: int | None,
    marker: str | None,
    sort_key: str,
    sort_dir: str,
    visibility: str | None,
    resource_types: list[str],
) -> list[MetadefNamespace]:
    """The page of namespaces ``ctx`` may see: ordered by (sort_key, created_at, id), rows
    after ``marker`` (a visible namespace name, else 404), at most ``limit``."""
    rows = policy.visible_namespaces(ctx, MetadefNamespace.objects.all())
    if visibility:
        rows = rows.filter(visibility=visibility)
    if resource_types:
        # No name holds NUL (PostgreSQL could not even compare it): such a name matches none.
        names = [name for name in resource_types if "\x00" not in name]
        rows = rows.filter(associations__resource_type__name__in=names).distinct()
    desc = sort_dir == "desc"
    order = [
        F(key).desc(nulls_last=True) if desc else F(key).asc(nulls_first=True)
        for key in dict.fromkeys((sort_key, "created_at", "id"))
    ]
    ids = list(rows.order_by(*order).values_list("id", flat=True))
    if marker is not None:
        marker_row = None if "\x00" in marker else find_namespace_or_none(marker)
        # An invisible marker answers like an unknown one (Glance: 403, an existence leak).
        if marker_row is None or marker_row.id not in ids:
            raise NotFound(NS_NOT_FOUND.format(name=marker))
        ids = ids[ids.index(marker_row.id) + 1 :]
    if limit is not None:
        ids = ids[:limit]
    if not ids:
        return []
    by_id = MetadefNamespace.objects.prefetch_related(_associations()).in_bulk(ids)
    return [by_id[i] for i in ids]


def export_namespaces() -> list[dict]:
    """Every namespace as the loader reads it (``domain.metadefs.clean_namespace_file``),
    ordered by name, in a constant number of queries."""
    rows = MetadefNamespace.objects.order_by("namespace").prefetch_related(
        _associations(),
        Prefetch("properties", queryset=MetadefProperty.objects.order_by("name")),
        Prefetch("defined_objects", queryset=MetadefObject.objects.order_by("name")),
        Prefetch("tags", queryset=MetadefTag.objects.order_by("name")),
    )
    return [
        {
            "namespace": ns.namespace,
            "display_name": ns.display_name,
            "description": ns.description,
            "visibility": ns.visibility,
            "protected": ns.protected,
            "owner": ns.owner,
            "associations": [
                {
                    "name": a.resource_type.name,
                    "prefix": a.prefix,
                    "properties_target": a.properties_target,
                }
                for a in ns.associations.all()
            ],
            "properties": {p.name: p.definition for p in ns.properties.all()},
            "objects": [
                {
                    "name": o.name,
                    "description": o.description,
                    "required": o.required,
                    "properties": o.properties,
                }
                for o in ns.defined_objects.all()
            ],
            "tags": [t.name for t in ns.tags.all()],
        }
        for ns in rows
    ]


IMAGE_RESOURCE_TYPE = "OS::Glance::Image"


def definitions_for(ctx: RequestContext, resource_type: str = IMAGE_RESOURCE_TYPE) -> list:
    """The property definitions ``ctx`` sees for a resource type, grouped by namespace
    (sorted by name): ``[(namespace, [(prefixed name, definition), ...]), ...]``.
    Namespace-level properties only; three queries whatever the catalog's size."""
    rows = (
        MetadefResourceTypeAssociation.objects.filter(
            resource_type__name=resource_type,
            namespace__in=policy.visible_namespaces(ctx, MetadefNamespace.objects.all()),
        )
        .select_related("namespace")
        .prefetch_related(
            Prefetch("namespace__properties", queryset=MetadefProperty.objects.order_by("name"))
        )
        .order_by("namespace__namespace")
    )
    groups = []
    for assoc in rows:
        prefix = assoc.prefix or ""
        items = [(prefix + p.name, p.definition) for p in assoc.namespace.properties.all()]
        if items:
            groups.append((assoc.namespace, items))
    return groups


def definition_map(groups) -> dict:
    """Prefixed name -> (namespace name, definition); the first namespace wins a clash."""
    found = {}
    for namespace, items in groups:
        for name, definition in items:
            found.setdefault(name, (namespace.namespace, definition))
    return found


def resource_types() -> list[MetadefResourceType]:
    return list(MetadefResourceType.objects.order_by("id"))


def association_prefix(namespace: MetadefNamespace, resource_type: str | None) -> str | None:
    if not resource_type or "\x00" in resource_type:  # no type's name holds NUL
        return None
    row = namespace.associations.filter(resource_type__name=resource_type).first()
    return row.prefix if row else None


# --- Wire dicts ---------------------------------------------------------------------------


def namespace_self(name: str) -> str:
    return f"/v2/metadefs/namespaces/{segment(name)}"


def serialize_namespace(ns: MetadefNamespace, *, associations: bool = True) -> dict:
    out = {"namespace": ns.namespace}
    if ns.display_name is not None:
        out["display_name"] = ns.display_name
    if ns.description is not None:
        out["description"] = ns.description
    out.update(visibility=ns.visibility, protected=ns.protected)
    if ns.owner is not None:
        out["owner"] = ns.owner
    out.update(_timestamps(ns))
    if associations:
        rows = [serialize_association(a) for a in ns.associations.all()]
        if rows:
            out["resource_type_associations"] = rows
    return out


def with_links(body: dict, name: str) -> dict:
    body["self"] = namespace_self(name)
    body["schema"] = "/v2/schemas/metadefs/namespace"
    return body


def created_namespace(namespace: MetadefNamespace, cleaned: dict) -> dict:
    """The answer to a namespace create: the namespace, and the children it was created with
    as they were sent (unset keys left out), with its links."""
    body = serialize_namespace(namespace, associations=False)
    if cleaned["associations"]:
        body["resource_type_associations"] = [
            {k: v for k, v in a.items() if v is not None} for a in cleaned["associations"]
        ]
    if cleaned["properties"]:
        body["properties"] = cleaned["properties"]
    if cleaned["objects"]:
        body["objects"] = [
            {k: v for k, v in o.items() if v not in (None, [], {}) or k == "name"}
            for o in cleaned["objects"]
        ]
    if cleaned["tags"]:
        body["tags"] = [{"name": t} for t in cleaned["tags"]]
    return with_links(body, namespace.namespace)


def namespace_show(ns: MetadefNamespace, prefix: str | None = None) -> dict:
    """``GET /v2/metadefs/namespaces/{ns}``: with its children; empty collections omitted;
    property names (and objects' ``required``) carry ``prefix`` when one is asked for."""
    p = prefix or ""
    out = serialize_namespace(ns)
    properties = {p + row.name: property_body(row.definition) for row in ns.properties.all()}
    if properties:
        out["properties"] = properties
    objects = [serialize_object(o, ns.namespace, prefix=p) for o in ns.defined_objects.all()]
    if objects:
        out["objects"] = objects
    tags = [{"name": t.name} for t in ns.tags.all()]
    if tags:
        out["tags"] = tags
    return with_links(out, ns.namespace)


def namespace_list_body(rows, *, base: str, query: dict, limit: int | None) -> dict:
    params = {k: v for k, v in query.items() if k != "marker"}
    first = base + ("?" + urlencode(params) if params else "")
    body = {
        "namespaces": [with_links(serialize_namespace(ns), ns.namespace) for ns in rows],
        "first": first,
        "schema": "/v2/schemas/metadefs/namespaces",
    }
    if limit and len(rows) == limit:
        body["next"] = first + ("&" if params else "?") + urlencode({"marker": rows[-1].namespace})
    return body


def serialize_association(row: MetadefResourceTypeAssociation, *, stamps: bool = True) -> dict:
    out = {"name": row.resource_type.name}
    if row.prefix is not None:
        out["prefix"] = row.prefix
    if row.properties_target is not None:
        out["properties_target"] = row.properties_target
    if stamps:
        out.update(_timestamps(row))
    return out


def serialize_resource_type(row: MetadefResourceType) -> dict:
    return {"name": row.name, **_timestamps(row)}


def property_body(definition: dict, name: str | None = None) -> dict:
    body = {"name": name} if name is not None else {}
    body.update((k, definition[k]) for k in PROPERTY_KEYS if k in definition and k != "name")
    return body


def serialize_property(row: MetadefProperty) -> dict:
    return property_body(row.definition, row.name)


def serialize_object(
    row: MetadefObject, namespace: str, *, prefix: str = "", compact: bool = False
) -> dict:
    """An object. ``compact`` (the create response) omits empty ``required``/``properties``."""
    out = {"name": row.name}
    if row.required or not compact:
        out["required"] = [prefix + r for r in row.required]
    if row.description is not None:
        out["description"] = row.description
    if row.properties or not compact:
        out["properties"] = {prefix + k: property_body(v) for k, v in row.properties.items()}
    out.update(_timestamps(row))
    out["self"] = f"{namespace_self(namespace)}/objects/{segment(row.name)}"
    out["schema"] = "/v2/schemas/metadefs/object"
    return out


def serialize_tag(row: MetadefTag) -> dict:
    return {"name": row.name, **_timestamps(row)}
