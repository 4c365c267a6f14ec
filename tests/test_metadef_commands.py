"""manage.py load_metadefs / export_metadefs, and the starter set ensure_demo loads."""

import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from catalog.models import MetadefNamespace, MetadefProperty, MetadefResourceType
from catalog.services import metadef_files

GLANCE_STYLE = {
    "namespace": "OS::Compute::Example",
    "display_name": "Example",
    "description": "A file as Glance ships them",
    "visibility": "public",
    "protected": True,
    "resource_type_associations": [
        {"name": "OS::Glance::Image", "prefix": "hw_"},
        {"name": "OS::Cinder::Volume", "prefix": "hw_", "properties_target": "image"},
    ],
    "properties": {
        "cpu_policy": {
            "title": "CPU policy",
            "description": "d",
            "type": "string",
            "enum": ["shared", "dedicated"],
            "default": "shared",
        },
        "watchdog": {"title": "Watchdog", "type": "boolean", "default": False},
    },
    "objects": [
        {
            "name": "Quota",
            "description": "q",
            "required": ["period"],
            "properties": {"period": {"title": "P", "type": "integer", "minimum": 1000}},
        }
    ],
}


def run(name, *args):
    out = io.StringIO()
    err = io.StringIO()
    call_command(name, *args, stdout=out, stderr=err)
    return out.getvalue() + err.getvalue()


def write(directory, name, document):
    directory.mkdir(exist_ok=True)
    path = directory / name
    path.write_text(document if isinstance(document, str) else json.dumps(document))
    return path


def test_load_then_export_round_trips(db, tmp_path):
    source = tmp_path / "in"
    write(source, "example.json", GLANCE_STYLE)
    write(
        source,
        "other.json",
        {
            "namespace": "Other",
            "visibility": "private",
            "owner": "p1",
            "protected": False,
            "tags": [{"name": "t"}],
        },
    )
    output = run("load_metadefs", str(source))
    assert "Created: OS::Compute::Example, Other" in output
    assert MetadefNamespace.objects.get(namespace="OS::Compute::Example").owner == "admin"
    run("export_metadefs", str(tmp_path / "out"))
    exported = {p.name: json.loads(p.read_text()) for p in (tmp_path / "out").iterdir()}
    assert exported["OS-Compute-Example.json"] == {**GLANCE_STYLE, "owner": "admin"}
    assert exported["Other.json"]["tags"] == [{"name": "t"}]
    # The exported files load into an empty catalog as the same catalog.
    MetadefNamespace.objects.all().delete()
    run("load_metadefs", str(tmp_path / "out"))
    run("export_metadefs", str(tmp_path / "again"))
    again = {p.name: json.loads(p.read_text()) for p in (tmp_path / "again").iterdir()}
    assert again == exported


def test_reload_skips_unless_merge(db, tmp_path):
    source = tmp_path / "in"
    write(source, "example.json", GLANCE_STYLE)
    run("load_metadefs", str(source))
    changed = json.loads(json.dumps(GLANCE_STYLE))
    changed["display_name"] = "Changed"
    changed["properties"]["cpu_policy"]["enum"] = ["shared"]
    changed["properties"]["cpu_policy"]["default"] = "shared"
    changed["properties"]["new_one"] = {"title": "N", "type": "string"}
    write(source, "example.json", changed)
    assert "Skipped: OS::Compute::Example" in run("load_metadefs", str(source))
    assert not MetadefProperty.objects.filter(name="new_one").exists()

    assert "Merged" in run("load_metadefs", str(source), "--merge")
    assert MetadefProperty.objects.filter(name="new_one").exists()
    policy = MetadefProperty.objects.get(name="cpu_policy")
    assert policy.definition["enum"] == ["shared", "dedicated"]  # kept without --prefer-new
    assert MetadefNamespace.objects.get().display_name == "Example"

    run("load_metadefs", str(source), "--merge", "--prefer-new")
    assert MetadefProperty.objects.get(name="cpu_policy").definition["enum"] == ["shared"]
    assert MetadefNamespace.objects.get().display_name == "Changed"

    del changed["properties"]["watchdog"]
    write(source, "example.json", changed)
    run("load_metadefs", str(source), "--merge", "--overwrite")
    assert not MetadefProperty.objects.filter(name="watchdog").exists()


def test_missing_directory_fails(db, tmp_path):
    # Glance exits 0 here.
    with pytest.raises(CommandError, match="is not a directory"):
        run("load_metadefs", str(tmp_path / "nope"))
    with pytest.raises(CommandError, match="need --merge"):
        run("load_metadefs", str(tmp_path), "--overwrite")


def test_malformed_file_is_reported_with_its_json_path_and_loads_nothing(db, tmp_path):
    source = tmp_path / "in"
    bad = json.loads(json.dumps(GLANCE_STYLE))
    bad["objects"][0]["properties"]["period"]["minimum"] = "many"
    bad_path = write(source, "bad.json", bad)
    write(source, "broken.json", "{not json")
    write(source, "good.json", {"namespace": "Good", "visibility": "public"})
    with pytest.raises(CommandError) as failure:
        run("load_metadefs", str(source))
    message = str(failure.value)
    assert f"{bad_path}:" in message
    assert "at /objects/0/properties/period/minimum" in message
    assert "broken.json: not valid JSON" in message
    assert list(MetadefNamespace.objects.values_list("namespace", flat=True)) == ["Good"]
    assert not MetadefResourceType.objects.exists()


def test_missing_visibility_loads_private_with_a_warning(db, tmp_path):
    source = tmp_path / "in"
    write(source, "common.json", {"namespace": "Common", "protected": True})
    output = run("load_metadefs", str(source))
    assert "no visibility" in output
    row = MetadefNamespace.objects.get()
    assert (row.visibility, row.owner) == ("private", "admin")


def test_starter_set_is_valid_and_loaded_by_the_demo_step(db):
    for path in metadef_files.STARTER_DIR.glob("*.json"):
        metadef_files.read_file(path)
    assert "Vitrine::Compute::LibvirtHardware" in run("load_metadefs")
    names = set(MetadefProperty.objects.values_list("name", flat=True))
    for expected in (
        "disk_bus",
        "vif_model",
        "firmware_type",
        "machine_type",
        "qemu_guest_agent",
        "os_distro",
        "os_version",
        "os_type",
        "architecture",
    ):
        assert expected in names
    assert "Created" not in run("load_metadefs")  # make run again keeps what is there
    demo = (Path(__file__).resolve().parents[1] / "Makefile").read_text().split("\ndemo:")[1]
    assert "manage.py load_metadefs" in demo.split("\n\n")[0]
