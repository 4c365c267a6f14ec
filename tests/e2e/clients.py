"""The real OpenStack clients behind one small interface, so that every e2e test runs with
each of them: the ``openstack`` CLI (python-openstackclient), openstacksdk and
python-glanceclient, all configured by the generated ``clouds.yaml``.

Each driver returns plain dicts with Glance's attribute names, and raises ``Refused`` with
the text the client shows its user when the server refuses a call. Adding an operation
(update, upload, download, tags, members, ...) means one method on each driver and, when the
server might not have the route yet, a ``requires`` entry (see conftest.CAPABILITIES).
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


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
            pytest.skip(f"{self.name} needs {capability} for {operation}, not served yet")

    def __repr__(self) -> str:
        return self.name


class OpenStackCLI(Driver):
    """``openstack --os-cloud NAME image ...`` in a subprocess, answers read with ``-f json``."""

    name = "openstack-cli"
    executable = Path(sys.executable).with_name("openstack")

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

    def create(self, name: str, properties: dict | None = None, **attributes) -> dict:
        args = ["image", "create", name]
        for key in ("disk_format", "container_format"):
            if key in attributes:
                args += [f"--{key.replace('_', '-')}", attributes[key]]
        for key, value in (properties or {}).items():
            args += ["--property", f"{key}={value}"]
        return flatten_properties(self.run(*args))

    def show(self, image_id: str) -> dict:
        return flatten_properties(self.run("image", "show", image_id))

    def list(self) -> list[dict]:
        rows = self.run("image", "list")
        return [{"id": r["ID"], "name": r["Name"], "status": r["Status"]} for r in rows]

    def delete(self, image_id: str) -> None:
        self.run("image", "delete", image_id, json_output=False)


def flatten_properties(image: dict) -> dict:
    """The CLI (like the SDK) nests custom properties under ``properties``; Glance does not."""
    image = dict(image)
    image.update(image.pop("properties", None) or {})
    return image


class OpenStackSDK(Driver):
    name = "openstacksdk"

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

    def create(self, name: str, properties: dict | None = None, **attributes) -> dict:
        # allow_duplicates: otherwise the SDK first looks for an image of that name.
        image = self.call(
            self.connection.image.create_image,
            name=name,
            allow_duplicates=True,
            **attributes,
            **(properties or {}),
        )
        return self._as_dict(image)

    def show(self, image_id: str) -> dict:
        return self._as_dict(self.call(self.connection.image.get_image, image_id))

    def list(self) -> list[dict]:
        return [self._as_dict(i) for i in self.call(lambda: list(self.connection.image.images()))]

    def delete(self, image_id: str) -> None:
        self.call(self.connection.image.delete_image, image_id, ignore_missing=False)

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

    def create(self, name: str, properties: dict | None = None, **attributes) -> dict:
        self.require("create")
        return dict(
            self.call(self.client.images.create, name=name, **attributes, **(properties or {}))
        )

    def show(self, image_id: str) -> dict:
        self.require("show")
        return dict(self.call(self.client.images.get, image_id))

    def list(self) -> list[dict]:
        self.require("list")
        return [dict(i) for i in self.call(lambda: list(self.client.images.list()))]

    def delete(self, image_id: str) -> None:
        self.call(self.client.images.delete, image_id)


DRIVERS = {driver.name: driver for driver in (OpenStackCLI, OpenStackSDK, GlanceClient)}
