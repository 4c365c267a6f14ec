"""Metadefs: the only code that writes namespaces, properties, objects, tags and resource
type associations. Every function takes the caller's context and enforces Glance's rule by
name (reads: a reader of the owner project or a public namespace; writes: admins)."""

from django.db import IntegrityError, transaction
from django.utils import timezone

from catalog import policy
from catalog.context import RequestContext
from catalog.domain import metadefs as rules
from catalog.exceptions import Conflict, Forbidden, NotFound
from catalog.models import (
    MetadefNamespace,
    MetadefObject,
    MetadefProperty,
    MetadefResourceType,
    MetadefResourceTypeAssociation,
    MetadefTag,
)
from catalog.reads import metadefs as reads
from catalog.reads.metadefs import NS_NOT_FOUND, NS_NOT_FOUND_SHORT
from catalog.services import events

# --- Namespaces ---------------------------------------------------------------------------


def namespace_for(
    ctx: RequestContext,
    name: str,
    rule: str,
    read_rule: str,
    message: str = NS_NOT_FOUND_SHORT,
    *,
    lock: bool = False,
) -> MetadefNamespace:
    """The named namespace if ``ctx`` may apply ``rule`` to it; 404 (one message) when it
    does not exist or the caller may not see it, 403 when it may see it only."""
    namespace = reads.lock_namespace(name, message) if lock else reads.find_namespace(name, message)
    policy.enforce_namespace(ctx, rule, namespace, read_rule, message.format(name=name))
    return namespace


def _refuse_if_protected(namespace: MetadefNamespace, what: str, name: str) -> None:
    if namespace.protected:
        raise Forbidden(f"Metadata definition {what} {name} is protected and cannot be deleted.")


def _find_child(rows, name: str, lock: bool, not_found: str):
    """A property, object or tag of a namespace by name (``rows``: the namespace's related
    manager of that kind), locked for an update or delete when ``lock``."""
    row = (rows.select_for_update() if lock else rows).filter(name=name).first()
    if row is None:
        raise NotFound(not_found)
    return row


def _delete_child(ctx: RequestContext, namespace: MetadefNamespace, row, what: str) -> None:
    """Delete a property, object or tag (``what``) unless its namespace is protected."""
    _refuse_if_protected(namespace, what, row.name)
    events.metadef(ctx, f"metadef_{what}.delete", namespace, row)
    row.delete()


def _ensure_resource_type(name: str) -> MetadefResourceType:
    now = timezone.now()
    row, _ = MetadefResourceType.objects.get_or_create(
        name=name, defaults={"created_at": now, "updated_at": now}
    )
    return row


def add_children(namespace: MetadefNamespace, cleaned: dict, *, now=None) -> None:
    """Insert a cleaned namespace's children (a clash is a 409). For creates and the
    namespace file loader only: no policy here."""
    now = now or namespace.created_at
    for assoc in cleaned["associations"]:
        _associate(namespace, assoc, now)
    for obj in cleaned["objects"]:
        _insert(
            MetadefObject(namespace=namespace, created_at=now, updated_at=now, **obj),
            f"A metadata definition object with name={obj['name']} already exists in "
            f"namespace={namespace.namespace}.",
        )
    for tag in cleaned["tags"]:
        _insert(
            MetadefTag(namespace=namespace, name=tag, created_at=now, updated_at=now),
            _tag_exists(tag, namespace.namespace),
        )
    rows = [
        MetadefProperty(
            namespace=namespace, name=name, definition=definition, created_at=now, updated_at=now
        )
        for name, definition in cleaned["properties"].items()
    ]
    if rows:
        # One statement: the names are a body's keys, so only an existing row can clash.
        try:
            with transaction.atomic():
                MetadefProperty.objects.bulk_create(rows)
        except IntegrityError:
            taken = namespace.properties.filter(name__in=[r.name for r in rows]).first()
            message = _property_exists(taken.name if taken else "?", namespace.namespace)
            raise Conflict(message) from None


def _insert(row, conflict_message: str):
    """Insert ``row``; a uniqueness clash is a 409 (a savepoint keeps the transaction)."""
    try:
        with transaction.atomic():
            row.save(force_insert=True)
    except IntegrityError:
        raise Conflict(conflict_message) from None
    return row


def _check_children_policy(ctx: RequestContext, cleaned: dict) -> None:
    for key, rule in (
        ("associations", "add_metadef_resource_type_association"),
        ("objects", "add_metadef_object"),
        ("properties", "add_metadef_property"),
        ("tags", "add_metadef_tag"),
    ):
        if cleaned[key]:
            policy.enforce(ctx, rule)


@transaction.atomic
def create_namespace(ctx: RequestContext, body, *, owner_default: str | None = None):
    """Create a namespace with its inline children, all or nothing. Returns the namespace
    and the cleaned body (the create response echoes the children as sent)."""
    cleaned = rules.clean_namespace(rules.check_body("namespace", body))
    policy.enforce(ctx, "add_metadef_namespace")
    _check_children_policy(ctx, cleaned)
    now = timezone.now()
    namespace = _insert(
        MetadefNamespace(
            namespace=cleaned["namespace"],
            display_name=cleaned["display_name"],
            description=cleaned["description"],
            visibility=cleaned["visibility"],
            protected=cleaned["protected"],
            owner=cleaned["owner"] or owner_default or ctx.project_id,
            created_at=now,
            updated_at=now,
        ),
        f"The metadata definition namespace={cleaned['namespace']} already exists.",
    )
    add_children(namespace, cleaned)
    events.metadef(ctx, "metadef_namespace.create", namespace, children=True)
    return namespace, cleaned


def get_namespace(ctx: RequestContext, name: str) -> MetadefNamespace:
    namespace = namespace_for(
        ctx, name, "get_metadef_namespace", "get_metadef_namespace", NS_NOT_FOUND
    )
    return reads.namespace_detail(namespace)


@transaction.atomic
def update_namespace(ctx: RequestContext, name: str, body) -> MetadefNamespace:
    """Replace a namespace's attributes (children in the body are ignored). An absent
    ``owner`` keeps the stored one (docs/glance-differences.md#metadef-namespace-put)."""
    namespace = namespace_for(
        ctx, name, "modify_metadef_namespace", "get_metadef_namespace", lock=True
    )
    cleaned = rules.clean_namespace(rules.check_body("namespace", body))
    new_name = cleaned["namespace"]
    if new_name != name and MetadefNamespace.objects.filter(namespace=new_name).exists():
        raise Conflict(
            "Invalid update. It would result in a duplicate metadata definition namespace "
            f"with the same name of {new_name}"
        )
    for key in ("namespace", "display_name", "description", "visibility", "protected"):
        setattr(namespace, key, cleaned[key])
    namespace.owner = cleaned["owner"] or namespace.owner
    namespace.updated_at = timezone.now()
    _save(namespace, f"The metadata definition namespace={new_name} already exists.")
    events.metadef(ctx, "metadef_namespace.update", namespace, old_name=name)
    return namespace


def _save(row, conflict_message: str) -> None:
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:
        raise Conflict(conflict_message) from None


def _rewrite(row, siblings, old_name: str, conflict_message: str, **fields):
    """Write ``fields`` over a namespace's child row (a new ``name`` renames it): a rename onto
    a sibling's name is a 409 (Glance answers 500: docs/glance-differences.md#metadef-malformed-input)."""
    if fields["name"] != old_name and siblings.filter(name=fields["name"]).exists():
        raise Conflict(conflict_message)
    for key, value in fields.items():
        setattr(row, key, value)
    row.updated_at = timezone.now()
    _save(row, conflict_message)
    return row


@transaction.atomic
def delete_namespace(ctx: RequestContext, name: str) -> None:
    namespace = namespace_for(
        ctx, name, "delete_metadef_namespace", "get_metadef_namespace", lock=True
    )
    _refuse_if_protected(namespace, "namespace", name)
    events.metadef(ctx, "metadef_namespace.delete", namespace)
    namespace.delete()


def list_namespaces(ctx: RequestContext, **params) -> list[MetadefNamespace]:
    policy.enforce(ctx, "get_metadef_namespaces")
    return reads.list_namespaces(ctx, **params)


@transaction.atomic
def delete_children(ctx: RequestContext, name: str, kind: str) -> None:
    """``DELETE …/{properties,objects,tags}``: every child of one kind."""
    namespace = namespace_for(
        ctx, name, "delete_metadef_namespace", "get_metadef_namespace", lock=True
    )
    if kind == "tags":
        policy.enforce(ctx, "delete_metadef_tags", policy.namespace_target(namespace))
    _refuse_if_protected(namespace, "namespace", name)
    model = {"properties": MetadefProperty, "objects": MetadefObject, "tags": MetadefTag}[kind]
    model.objects.filter(namespace=namespace).delete()
    events.metadef(ctx, f"metadef_namespace.delete_{kind}", namespace)


# --- Properties ---------------------------------------------------------------------------


def _property_exists(name: str, namespace: str) -> str:
    return (
        f"A metadata definition property with name={name} already exists in namespace={namespace}."
    )


def list_properties(ctx: RequestContext, ns: str) -> list[MetadefProperty]:
    namespace = namespace_for(ctx, ns, "get_metadef_properties", "get_metadef_properties")
    return list(namespace.properties.order_by("name"))


def _find_property(namespace: MetadefNamespace, name: str, *, lock=False) -> MetadefProperty:
    return _find_child(namespace.properties, name, lock, f"Could not find property {name}")


def get_property(
    ctx: RequestContext, ns: str, name: str, resource_type: str | None = None
) -> MetadefProperty:
    """One property; through ``resource_type`` its name carries the association's prefix."""
    namespace = namespace_for(ctx, ns, "get_metadef_property", "get_metadef_property")
    if resource_type:
        assoc = (
            None  # no type's name holds NUL (PostgreSQL could not even compare it)
            if "\x00" in resource_type
            else namespace.associations.filter(resource_type__name=resource_type).first()
        )
        if assoc is None:
            # Glance says the type was not found, although it may exist (docs/glance-differences.md#metadef-resource-type-mismatch).
            raise NotFound(f"Resource type {resource_type} is not associated with namespace {ns}.")
        name = rules.strip_prefix(name, assoc.prefix)
    return _find_property(namespace, name)


def _clean_property_body(body) -> tuple[str, dict]:
    rules.check_body("property", body)
    return body["name"], rules.clean_property(body["name"], body)


@transaction.atomic
def create_property(ctx: RequestContext, ns: str, body) -> MetadefProperty:
    namespace = namespace_for(ctx, ns, "add_metadef_property", "get_metadef_properties", lock=True)
    name, definition = _clean_property_body(body)
    now = timezone.now()
    row = _insert(
        MetadefProperty(
            namespace=namespace, name=name, definition=definition, created_at=now, updated_at=now
        ),
        _property_exists(name, ns),
    )
    events.metadef(ctx, "metadef_property.create", namespace, row)
    return row


@transaction.atomic
def update_property(ctx: RequestContext, ns: str, name: str, body) -> MetadefProperty:
    """Replace a property's definition (unsent keys are dropped); a new ``name`` renames."""
    namespace = namespace_for(ctx, ns, "modify_metadef_property", "get_metadef_property", lock=True)
    row = _find_property(namespace, name, lock=True)
    new_name, definition = _clean_property_body(body)
    conflict = _property_exists(new_name, ns)
    _rewrite(row, namespace.properties, name, conflict, name=new_name, definition=definition)
    events.metadef(ctx, "metadef_property.update", namespace, row, old_name=name)
    return row


@transaction.atomic
def delete_property(ctx: RequestContext, ns: str, name: str) -> None:
    namespace = namespace_for(ctx, ns, "remove_metadef_property", "get_metadef_property", lock=True)
    _delete_child(ctx, namespace, _find_property(namespace, name, lock=True), "property")


# --- Objects ------------------------------------------------------------------------------


def _object_exists(name: str, namespace: str) -> str:
    return f"A metadata definition object with name={name} already exists in namespace={namespace}."


def list_objects(ctx: RequestContext, ns: str) -> list[MetadefObject]:
    namespace = namespace_for(ctx, ns, "get_metadef_objects", "get_metadef_objects", NS_NOT_FOUND)
    return list(namespace.defined_objects.order_by("name"))


def _find_object(namespace: MetadefNamespace, name: str, *, lock=False) -> MetadefObject:
    return _find_child(
        namespace.defined_objects, name, lock, f"Could not find metadata object {name}"
    )


def get_object(ctx: RequestContext, ns: str, name: str) -> MetadefObject:
    namespace = namespace_for(ctx, ns, "get_metadef_object", "get_metadef_object", NS_NOT_FOUND)
    return _find_object(namespace, name)


@transaction.atomic
def create_object(ctx: RequestContext, ns: str, body) -> MetadefObject:
    namespace = namespace_for(
        ctx, ns, "add_metadef_object", "get_metadef_objects", NS_NOT_FOUND, lock=True
    )
    cleaned = rules.clean_object(rules.check_body("object", body))
    now = timezone.now()
    row = _insert(
        MetadefObject(namespace=namespace, created_at=now, updated_at=now, **cleaned),
        _object_exists(cleaned["name"], ns),
    )
    events.metadef(ctx, "metadef_object.create", namespace, row)
    return row


@transaction.atomic
def update_object(ctx: RequestContext, ns: str, name: str, body) -> MetadefObject:
    namespace = namespace_for(
        ctx, ns, "modify_metadef_object", "get_metadef_object", NS_NOT_FOUND, lock=True
    )
    row = _find_object(namespace, name, lock=True)
    cleaned = rules.clean_object(rules.check_body("object", body))
    conflict = _object_exists(cleaned["name"], ns)
    _rewrite(row, namespace.defined_objects, name, conflict, **cleaned)
    events.metadef(ctx, "metadef_object.update", namespace, row, old_name=name)
    return row


@transaction.atomic
def delete_object(ctx: RequestContext, ns: str, name: str) -> None:
    namespace = namespace_for(
        ctx, ns, "delete_metadef_object", "get_metadef_object", NS_NOT_FOUND, lock=True
    )
    _delete_child(ctx, namespace, _find_object(namespace, name, lock=True), "object")


# --- Tags ---------------------------------------------------------------------------------


def _tag_exists(name: str, namespace: str) -> str:
    # Case-sensitive everywhere, so the message says nothing about case (docs/glance-differences.md#metadef-tag-case).
    return f"A metadata tag with name={name} already exists in namespace={namespace}."


def list_tags(
    ctx: RequestContext, ns: str, *, sort_key: str, sort_dir: str, limit, marker
) -> list[MetadefTag]:
    """Tags sorted by (sort_key, created_at, id), by code point whatever the database's
    collation (Glance's SQLite order: ``NU`` before ``kappa``)."""
    namespace = namespace_for(ctx, ns, "get_metadef_tags", "get_metadef_tags")
    rows = sorted(
        namespace.tags.all(),
        key=lambda t: (getattr(t, sort_key), t.created_at, t.id),
        reverse=sort_dir == "desc",
    )
    if marker is not None:
        names = [t.name for t in rows]
        if marker not in names:
            raise NotFound(f"Could not find metadata tag {marker}")
        rows = rows[names.index(marker) + 1 :]
    return rows[:limit] if limit else rows


def _find_tag(namespace: MetadefNamespace, name: str, *, lock=False) -> MetadefTag:
    return _find_child(namespace.tags, name, lock, f"Could not find metadata tag {name}")


def get_tag(ctx: RequestContext, ns: str, name: str) -> MetadefTag:
    namespace = namespace_for(ctx, ns, "get_metadef_tag", "get_metadef_tag")
    return _find_tag(namespace, name)


@transaction.atomic
def create_tag(ctx: RequestContext, ns: str, name: str) -> MetadefTag:
    namespace = namespace_for(ctx, ns, "add_metadef_tag", "get_metadef_tags", lock=True)
    rules.check_body("tag", {"name": name})
    rules.check_name(name, "tag")
    now = timezone.now()
    row = _insert(
        MetadefTag(namespace=namespace, name=name, created_at=now, updated_at=now),
        _tag_exists(name, ns),
    )
    events.metadef(ctx, "metadef_tag.create", namespace, row)
    return row


@transaction.atomic
def create_tags(ctx: RequestContext, ns: str, body, *, append: bool) -> list[MetadefTag]:
    """Bulk create: append to the tags, or replace them all; a clash changes nothing. An
    empty list keeps the existing tags even when replacing, as Glance does (docs/glance-differences.md#metadef-quirks)."""
    namespace = namespace_for(ctx, ns, "add_metadef_tags", "get_metadef_tags", lock=True)
    names = [rules.check_name(t["name"], "tag") for t in rules.check_body("tags", body)["tags"]]
    if not names:
        return []
    seen = set()
    for name in names:
        if name in seen:
            raise Conflict(_tag_exists(name, ns))
        seen.add(name)
    if not append:
        namespace.tags.all().delete()
    now = timezone.now()
    rows = [
        _insert(
            MetadefTag(namespace=namespace, name=n, created_at=now, updated_at=now),
            _tag_exists(n, ns),
        )
        for n in names
    ]
    for row in rows:
        events.metadef(ctx, "metadef_tag.create", namespace, row)
    return rows


@transaction.atomic
def update_tag(ctx: RequestContext, ns: str, name: str, body) -> MetadefTag:
    namespace = namespace_for(ctx, ns, "modify_metadef_tag", "get_metadef_tag", lock=True)
    row = _find_tag(namespace, name, lock=True)
    new_name = rules.check_name(rules.check_body("tag", body)["name"], "tag")
    _rewrite(row, namespace.tags, name, _tag_exists(new_name, ns), name=new_name)
    events.metadef(ctx, "metadef_tag.update", namespace, row, old_name=name)
    return row


@transaction.atomic
def delete_tag(ctx: RequestContext, ns: str, name: str) -> None:
    namespace = namespace_for(ctx, ns, "delete_metadef_tag", "get_metadef_tag", lock=True)
    _delete_child(ctx, namespace, _find_tag(namespace, name, lock=True), "tag")


# --- Resource types -----------------------------------------------------------------------


def list_resource_types(ctx: RequestContext) -> list[MetadefResourceType]:
    policy.enforce(ctx, "list_metadef_resource_types")
    return reads.resource_types()


def list_associations(ctx: RequestContext, ns: str) -> list[MetadefResourceTypeAssociation]:
    namespace = namespace_for(ctx, ns, "get_metadef_resource_type", "get_metadef_resource_type")
    return list(namespace.associations.select_related("resource_type").order_by("id"))


def _associate(namespace: MetadefNamespace, cleaned: dict, now) -> MetadefResourceTypeAssociation:
    return _insert(
        MetadefResourceTypeAssociation(
            namespace=namespace,
            resource_type=_ensure_resource_type(cleaned["name"]),
            prefix=cleaned["prefix"],
            properties_target=cleaned["properties_target"],
            created_at=now,
            updated_at=now,
        ),
        f"The metadata definition resource-type association of resource-type="
        f"{cleaned['name']} to namespace={namespace.namespace} already exists.",
    )


@transaction.atomic
def associate(ctx: RequestContext, ns: str, body) -> MetadefResourceTypeAssociation:
    """Associate a resource type (created on first use) with the namespace."""
    namespace = namespace_for(
        ctx, ns, "add_metadef_resource_type_association", "get_metadef_resource_type", lock=True
    )
    cleaned = rules.clean_association(body)
    row = _associate(namespace, cleaned, timezone.now())
    events.metadef(ctx, "metadef_resource_type.create", namespace, row)
    return row


@transaction.atomic
def dissociate(ctx: RequestContext, ns: str, resource_type: str) -> None:
    """Remove an association; the resource type itself stays in the catalog."""
    namespace = namespace_for(
        ctx,
        ns,
        "remove_metadef_resource_type_association",
        "get_metadef_resource_type",
        lock=True,
    )
    row = namespace.associations.filter(resource_type__name=resource_type).first()
    if row is None:
        raise NotFound(f"Failed to find resource type {resource_type} to delete")
    if namespace.protected:
        raise Forbidden(
            f"Metadata definition resource-type-association {resource_type} is protected "
            "and cannot be deleted."
        )
    events.metadef(ctx, "metadef_resource_type.delete", namespace, row)
    row.delete()
