"""``clouds.yaml`` for the OpenStack clients (openstack CLI, openstacksdk), pointing at the
built-in identity. Values are written as JSON strings, which YAML reads unchanged."""

import json

ENTRY = """\
  {name}:
    auth_type: password
    auth:
      auth_url: {auth_url}
      username: {username}
      password: {password}
      project_name: {project}
      user_domain_name: Default
      project_domain_name: Default
    region_name: {region}
    identity_api_version: 3
    image_api_version: 2
"""


def render(clouds: dict[str, dict], region: str = "RegionOne", **options) -> str:
    """``clouds`` maps a cloud name to its auth_url, username, password and project;
    ``options`` are further settings of every cloud (``image_status_code_retries=0``)."""
    extra = "".join(f"    {key}: {json.dumps(value)}\n" for key, value in options.items())
    entries = [
        ENTRY.format(
            name=name,
            region=json.dumps(region),
            **{key: json.dumps(value) for key, value in cloud.items()},
        )
        + extra
        for name, cloud in clouds.items()
    ]
    return "clouds:\n" + "".join(entries)


def parse(text: str) -> dict[str, dict]:
    """Read back what ``render`` wrote: cloud name -> its ``auth`` values (JSON strings).
    Only this module's own layout is understood; anything else is a ValueError."""
    clouds: dict[str, dict] = {}
    current: dict | None = None
    for line in text.splitlines():
        if line.startswith("  ") and not line.startswith("   ") and line.endswith(":"):
            current = clouds.setdefault(line.strip()[:-1], {})
        elif line.startswith("      ") and current is not None and ": " in line:
            key, _, value = line.strip().partition(": ")
            current[key] = json.loads(value) if value.startswith('"') else value
    if not clouds:
        raise ValueError("no cloud in this clouds.yaml")
    return clouds
