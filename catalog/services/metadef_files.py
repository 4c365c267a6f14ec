"""Loading and exporting namespace files (Glance's ``db_load_metadefs`` format): one JSON
object per file, the API's namespace body with an optional ``owner``.

Re-loading follows Glance's loader: an existing namespace is skipped unless ``merge``;
merging adds the children the file has and the catalog lacks; ``prefer_new`` also replaces
the namespace's attributes and the children both have; ``overwrite`` first removes every
child of the namespace.
"""

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from catalog.domain import metadefs as rules
from catalog.exceptions import BadRequest, CatalogError
from catalog.models import (
    MetadefNamespace,
    MetadefObject,
    MetadefProperty,
    MetadefResourceTypeAssociation,
    MetadefTag,
)
from catalog.reads import metadefs as reads
from catalog.services import metadefs as service

# Glance's loader owns namespaces without an owner by this literal name, not a project id.
DEFAULT_OWNER = "admin"
STARTER_DIR = Path(__file__).resolve().parent.parent / "metadef_catalog"


@dataclass
class LoadReport:
    created: list[str] = field(default_factory=list)
    merged: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def read_file(path: Path) -> dict:
    """A file's cleaned namespace; BadRequest names the JSON path of the problem."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest(f"not valid JSON: {exc}") from None
    return rules.clean_namespace_file(document)


def load_directory(
    directory: Path, *, merge=False, prefer_new=False, overwrite=False
) -> LoadReport:
    """Load every ``*.json`` of ``directory`` (sorted by name), each file all or nothing."""
    report = LoadReport()
    for path in sorted(directory.glob("*.json")):
        try:
            cleaned = read_file(path)
            outcome = load_namespace(
                cleaned, merge=merge, prefer_new=prefer_new, overwrite=overwrite
            )
        except CatalogError as exc:
            where = f" ({exc.details})" if exc.details else ""
            report.errors.append(f"{path}: {exc.message}{where}")
            continue
        getattr(report, outcome).append(cleaned["namespace"])
        if cleaned["visibility"] is None and outcome == "created":
            report.warnings.append(
                f"{path}: no visibility; {cleaned['namespace']} loaded as private "
                "(visible to admins only), as Glance does"
            )
    return report


@transaction.atomic
def load_namespace(cleaned: dict, *, merge=False, prefer_new=False, overwrite=False) -> str:
    """Write one cleaned namespace file; returns created, merged or skipped."""
    namespace = (
        MetadefNamespace.objects.select_for_update().filter(namespace=cleaned["namespace"]).first()
    )
    if namespace is None:
        namespace = MetadefNamespace.objects.create(
            **_attributes(cleaned), created_at=timezone.now()
        )
        service.add_children(namespace, cleaned)
        return "created"
    if not merge:
        return "skipped"
    if prefer_new:
        for key, value in _attributes(cleaned).items():
            setattr(namespace, key, value)
        namespace.updated_at = timezone.now()
        namespace.save()
    if overwrite:
        for model in (MetadefProperty, MetadefObject, MetadefTag, MetadefResourceTypeAssociation):
            model.objects.filter(namespace=namespace).delete()
    _merge_children(namespace, cleaned, prefer_new=prefer_new)
    return "merged"


def _attributes(cleaned: dict) -> dict:
    return {
        "namespace": cleaned["namespace"],
        "display_name": cleaned["display_name"],
        "description": cleaned["description"],
        "visibility": cleaned["visibility"] or "private",
        "protected": cleaned["protected"],
        "owner": cleaned["owner"] or DEFAULT_OWNER,
    }


def _merge_children(namespace: MetadefNamespace, cleaned: dict, *, prefer_new: bool) -> None:
    now = timezone.now()
    assocs = {
        a.resource_type.name: a for a in namespace.associations.select_related("resource_type")
    }
    props = {p.name: p for p in namespace.properties.all()}
    objs = {o.name: o for o in namespace.defined_objects.all()}
    tags = set(namespace.tags.values_list("name", flat=True))
    new = {"associations": [], "properties": {}, "objects": [], "tags": []}
    for assoc in cleaned["associations"]:
        if assoc["name"] not in assocs:
            new["associations"].append(assoc)
        elif prefer_new:
            row = assocs[assoc["name"]]
            row.prefix, row.properties_target = assoc["prefix"], assoc["properties_target"]
            row.updated_at = now
            row.save()
    for name, definition in cleaned["properties"].items():
        if name not in props:
            new["properties"][name] = definition
        elif prefer_new:
            props[name].definition, props[name].updated_at = definition, now
            props[name].save()
    for obj in cleaned["objects"]:
        if obj["name"] not in objs:
            new["objects"].append(obj)
        elif prefer_new:
            row = objs[obj["name"]]
            row.description, row.required = obj["description"], obj["required"]
            row.properties, row.updated_at = obj["properties"], now
            row.save()
    new["tags"] = [t for t in cleaned["tags"] if t not in tags]
    service.add_children(namespace, new, now=now)


def file_name(namespace: str) -> str:
    """A file name for a namespace: ``OS::Compute::Libvirt`` -> ``OS-Compute-Libvirt.json``."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", namespace).strip("-") + ".json"


def export_directory(directory: Path) -> list[Path]:
    """Write every namespace to ``directory`` in the loader's format."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for namespace in reads.export_namespaces():
        path = directory / file_name(namespace["namespace"])
        document = rules.file_document(namespace)
        path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", "utf-8")
        written.append(path)
    return written
