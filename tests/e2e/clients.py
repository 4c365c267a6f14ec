"""The real OpenStack clients behind one small interface, so that every e2e test runs with
each of them: the ``openstack`` CLI (python-openstackclient), openstacksdk and
python-glanceclient, all configured by the generated ``clouds.yaml``.

Each driver returns plain dicts with Glance's attribute names, and raises ``Refused`` with
the text the client shows its user when the server refuses a call. Adding an operation
(update, upload, download, tags, members, ...) means one method on each driver and, when the
server might not have the route yet, a ``requires`` entry naming one of ``CAPABILITIES``.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

# Routes some client calls need that the server may not serve yet (they come with other
# issues): name -> (method, path, the issue that adds it, the statuses that mean "not
# served"). The calls that need a missing one skip, saying which route they wait for; a new
# capability (say, interoperable import) is one line here and a ``requires`` entry.
CAPABILITIES = {
    "image-schema": ("GET", "/v2/schemas/image", "issue 3", (404,)),
    "member-schema": ("GET", "/v2/schemas/member", "issue 3", (404,)),
    # JSON-patch updates: the route exists, so "not served" is a 405; once served, this
    # probe gets a 4xx about the request instead.
    "image-update": ("PATCH", "/v2/images/00000000-0000-4000-8000-000000000000", "issue 3", (405,)),
}


class Refused(Exception):
    """The client reported a failure; ``str()`` is what the user sees."""


class Driver:
    name = ""
    # operation -> capability the server must have for this client to perform it
    requires: dict[str, str] = {}

    def __init__(self, clouds_yaml: Path, cloud: str, has_capability):
        self.clouds_yaml = clouds_yaml
        self.cloud = cloud
        self._has_capability = has_capability

    def require(self, operation: str) -> None:
        capability = self.requires.get(operation)
        if capability and not self._has_capability(capability):
            method, path, issue, _ = CAPABILITIES[capability]
            pytest.skip(f"{self.name} {operation} needs {method} {path}, not served yet ({issue})")

    def __repr__(self) -> str:
        return self.name


class OpenStackCLI(Driver):
    """``openstack --os-cloud NAME image ...`` in a subprocess, answers read with ``-f json``."""

    name = "openstack-cli"
    executable = Path(sys.executable).with_name("openstack")
    # `image set` sends a JSON patch of the image (`image unset --tag` uses the tag route).
    requires = {"add_tag": "image-update", "set_properties": "image-update"}

    def run(self, *args: str, json_output: bool = True):
        command = [str(self.executable), "--os-cloud", self.cloud, *args]
        if json_output:
            command += ["-f", "json"]
        # A terminal on stdin: the CLI reads image data from a non-terminal stdin (as in
        # `openstack image create x < file`), and a person typing the command has one.
        terminal, keyboard = os.openpty()
        try:
            result = subprocess.run(
                command,
                stdin=keyboard,
                capture_output=True,
                text=True,
                timeout=120,
                env={**os.environ, "OS_CLIENT_CONFIG_FILE": str(self.clouds_yaml)},
            )
        finally:
            os.close(terminal)
            os.close(keyboard)
        if result.returncode != 0:
            raise Refused(result.stderr.strip() or result.stdout.strip())
        return json.loads(result.stdout) if json_output else result.stdout

    def versions(self) -> list[dict]:
        found = self.run("versions", "show", "--service", "image")
        return [
            {"id": f"v{v['Version']}", "status": v["Status"], "url": v["Endpoint"]} for v in found
        ]

    def create(
        self, name: str, properties: dict | None = None, file: Path | None = None, **attributes
    ) -> dict:
        args = ["image", "create", name] + (["--file", str(file)] if file else [])
        for key in ("disk_format", "container_format"):
            if key in attributes:
                args += [f"--{key.replace('_', '-')}", attributes[key]]
        for key, value in (properties or {}).items():
            args += ["--property", f"{key}={value}"]
        return flatten_properties(self.run(*args))

    def show(self, image_id: str) -> dict:
        return flatten_properties(self.run("image", "show", image_id))

    def list(self, name: str | None = None, tag: str | None = None) -> list[dict]:
        filters = (["--name", name] if name else []) + (["--tag", tag] if tag else [])
        rows = self.run("image", "list", *filters)
        return [{"id": r["ID"], "name": r["Name"], "status": r["Status"]} for r in rows]

    def delete(self, image_id: str) -> None:
        self.run("image", "delete", image_id, json_output=False)

    def download(self, image_id: str, path: Path) -> None:
        self.run("image", "save", "--file", str(path), image_id, json_output=False)

    def add_tag(self, image_id: str, tag: str) -> None:
        self.require("add_tag")
        self.run("image", "set", "--tag", tag, image_id, json_output=False)

    def remove_tag(self, image_id: str, tag: str) -> None:
        self.run("image", "unset", "--tag", tag, image_id, json_output=False)

    def set_properties(self, image_id: str, properties: dict) -> None:
        self.require("set_properties")
        args = [arg for k, v in properties.items() for arg in ("--property", f"{k}={v}")]
        self.run("image", "set", *args, image_id, json_output=False)

    def unset_property(self, image_id: str, key: str) -> None:
        self.require("set_properties")
        self.run("image", "unset", "--property", key, image_id, json_output=False)

    def deactivate(self, image_id: str) -> None:
        self.run("image", "set", "--deactivate", image_id, json_output=False)

    def reactivate(self, image_id: str) -> None:
        self.run("image", "set", "--activate", image_id, json_output=False)

    def add_member(self, image_id: str, project_id: str) -> None:
        # The CLI first asks the identity service about the project (GET /v3/projects/{id}).
        self.run("image", "add", "project", image_id, project_id)

    def accept(self, image_id: str) -> None:
        """Accept an image shared with the caller's own project."""
        self.run("image", "set", "--accept", image_id, json_output=False)


def flatten_properties(image: dict) -> dict:
    """The CLI (like the SDK) nests custom properties under ``properties``; Glance does not."""
    image = dict(image)
    image.update(image.pop("properties", None) or {})
    return image


class OpenStackSDK(Driver):
    name = "openstacksdk"
    requires = {"set_properties": "image-update"}

    def __init__(self, *args):
        super().__init__(*args)
        import openstack.config
        import openstack.connection

        config = openstack.config.OpenStackConfig(config_files=[str(self.clouds_yaml)])
        self.connection = openstack.connection.Connection(config=config.get_one(cloud=self.cloud))

    def call(self, operation, *args, **kwargs):
        import openstack.exceptions

        try:
            return operation(*args, **kwargs)
        except openstack.exceptions.SDKException as error:
            raise Refused(str(error)) from None

    def versions(self) -> list[dict]:
        data = self.call(
            self.connection.session.get_endpoint_data, service_type="image", interface="public"
        )
        return [{"id": "v{}.{}".format(*data.api_version), "status": "CURRENT", "url": data.url}]

    def create(
        self, name: str, properties: dict | None = None, file: Path | None = None, **attributes
    ) -> dict:
        # allow_duplicates: otherwise the SDK first looks for an image of that name.
        image = self.call(
            self.connection.image.create_image,
            name=name,
            allow_duplicates=True,
            **({"filename": str(file)} if file else {}),
            **attributes,
            **(properties or {}),
        )
        return self._as_dict(image)

    def show(self, image_id: str) -> dict:
        return self._as_dict(self.call(self.connection.image.get_image, image_id))

    def list(self, name: str | None = None, tag: str | None = None) -> list[dict]:
        query = {k: v for k, v in (("name", name), ("tag", tag)) if v}
        images = self.call(lambda: list(self.connection.image.images(**query)))
        return [self._as_dict(i) for i in images]

    def delete(self, image_id: str) -> None:
        self.call(self.connection.image.delete_image, image_id, ignore_missing=False)

    def download(self, image_id: str, path: Path) -> None:
        # The SDK checks the data against the Content-MD5 header as it writes.
        self.call(self.connection.image.download_image, image_id, output=str(path))

    def add_tag(self, image_id: str, tag: str) -> None:
        self.call(self.connection.image.add_tag, image_id, tag)

    def remove_tag(self, image_id: str, tag: str) -> None:
        self.call(self.connection.image.remove_tag, image_id, tag)

    def set_properties(self, image_id: str, properties: dict) -> None:
        self.require("set_properties")
        self.call(self.connection.image.update_image, image_id, **properties)

    def unset_property(self, image_id: str, key: str) -> None:
        self.require("set_properties")
        # As the CLI does it: the SDK diffs the properties it is given against the image's.
        image = self.call(self.connection.image.get_image, image_id)
        remaining = {k: v for k, v in image.properties.items() if k != key}
        self.call(self.connection.image.update_image, image, properties=remaining)

    def deactivate(self, image_id: str) -> None:
        self.call(self.connection.image.deactivate_image, image_id)

    def reactivate(self, image_id: str) -> None:
        self.call(self.connection.image.reactivate_image, image_id)

    def add_member(self, image_id: str, project_id: str) -> None:
        self.call(self.connection.image.add_member, image_id, member_id=project_id)

    def accept(self, image_id: str) -> None:
        own = self.connection.current_project_id
        self.call(self.connection.image.update_member, own, image_id, status="accepted")

    def _as_dict(self, image) -> dict:
        return flatten_properties(image.to_dict(computed=False))


class GlanceClient(Driver):
    """python-glanceclient's v2 API on a keystoneauth session made from ``clouds.yaml``."""

    name = "glanceclient"
    # glanceclient builds its image model from the server's JSON schema.
    requires = {
        "create": "image-schema",
        "show": "image-schema",
        "list": "image-schema",
        "add_member": "member-schema",
        "accept": "member-schema",
        "set_properties": "image-update",
    }

    def __init__(self, *args):
        super().__init__(*args)
        import glanceclient
        import openstack.config

        config = openstack.config.OpenStackConfig(config_files=[str(self.clouds_yaml)])
        session = config.get_one(cloud=self.cloud).get_session()
        self.client = glanceclient.Client("2", session=session)

    def call(self, operation, *args, **kwargs):
        from glanceclient import exc

        try:
            return operation(*args, **kwargs)
        except (exc.BaseException, exc.ClientException) as error:
            raise Refused(str(error)) from None

    def versions(self) -> list[dict]:
        found = self.call(self.client.versions.list)
        return [{"id": v["id"], "status": v["status"], "url": v["links"][0]["href"]} for v in found]

    def create(
        self, name: str, properties: dict | None = None, file: Path | None = None, **attributes
    ) -> dict:
        self.require("create")
        image = self.call(self.client.images.create, name=name, **attributes, **(properties or {}))
        if file:
            with open(file, "rb") as data:
                self.call(self.client.images.upload, image["id"], data)
            return self.show(image["id"])
        return dict(image)

    def show(self, image_id: str) -> dict:
        self.require("show")
        return dict(self.call(self.client.images.get, image_id))

    def list(self, name: str | None = None, tag: str | None = None) -> list[dict]:
        self.require("list")
        filters = {k: v for k, v in (("name", name), ("tag", [tag] if tag else None)) if v}
        images = self.call(lambda: list(self.client.images.list(filters=filters)))
        return [dict(i) for i in images]

    def delete(self, image_id: str) -> None:
        self.call(self.client.images.delete, image_id)

    def download(self, image_id: str, path: Path) -> None:
        # glanceclient verifies the os_hash_value (or the MD5) while the data is read.
        def write():
            with open(path, "wb") as out:
                for chunk in self.client.images.data(image_id):
                    out.write(chunk)

        self.call(write)

    def add_tag(self, image_id: str, tag: str) -> None:
        self.call(self.client.image_tags.update, image_id, tag)

    def remove_tag(self, image_id: str, tag: str) -> None:
        self.call(self.client.image_tags.delete, image_id, tag)

    def set_properties(self, image_id: str, properties: dict) -> None:
        self.require("set_properties")
        self.call(self.client.images.update, image_id, **properties)

    def unset_property(self, image_id: str, key: str) -> None:
        self.require("set_properties")
        self.call(self.client.images.update, image_id, remove_props=[key])

    def deactivate(self, image_id: str) -> None:
        self.call(self.client.images.deactivate, image_id)

    def reactivate(self, image_id: str) -> None:
        self.call(self.client.images.reactivate, image_id)

    def add_member(self, image_id: str, project_id: str) -> None:
        self.require("add_member")
        self.call(self.client.image_members.create, image_id, project_id)

    def accept(self, image_id: str) -> None:
        self.require("accept")
        own = self.client.http_client.session.get_project_id()
        self.call(self.client.image_members.update, image_id, own, "accepted")


DRIVERS = {driver.name: driver for driver in (OpenStackCLI, OpenStackSDK, GlanceClient)}
