"""Forms of the HTML catalog. They only shape input: the services validate it (the same rules
and messages as the API), and their refusals are shown as form errors."""

from django import forms

from catalog.choices import ContainerFormat, DiskFormat, Visibility
from catalog.domain.metadefs import value_error

VISIBILITY_CHOICES = [(v, v) for v in Visibility.values]


def parse_properties(text: str) -> dict[str, str]:
    """``key=value`` lines -> a dict; blank lines are skipped, a line without ``=`` is an
    error naming its number."""
    result: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            raise forms.ValidationError(f"Line {number}: write each property as key=value.")
        result[key.strip()] = value.strip()
    return result


def parse_tags(text: str) -> list[str]:
    """Tags separated by commas or new lines, in order, without duplicates."""
    parts = (part.strip() for chunk in text.splitlines() for part in chunk.split(","))
    return list(dict.fromkeys(part for part in parts if part))


def format_properties(properties: dict[str, str]) -> str:
    return "\n".join(f"{key}={value}" for key, value in properties.items())


# The typed controls of defined properties are fields named MD_PREFIX + property name.
MD_PREFIX = "md__"
TRUE_WORDS = ("true", "1", "yes", "on", "y", "t")


def _choice(value) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def metadef_field(name: str, definition: dict, stored: str | None) -> forms.Field:
    """The control of one property definition: a select for an enum, a checkbox for a
    boolean, a number input with its bounds, a text input with its pattern and lengths."""
    kind = definition.get("type")
    common = {
        "label": f"{definition.get('title') or name} ({name})",
        "help_text": definition.get("description", ""),
        "required": False,
    }
    if definition.get("enum") and kind != "array":
        choices = [("", "(not set)")] + [(_choice(v), _choice(v)) for v in definition["enum"]]
        if stored is not None and stored not in dict(choices):
            choices.append((stored, f"{stored} (not allowed)"))  # kept until changed
        return forms.ChoiceField(choices=choices, **common)
    if kind == "boolean":
        return forms.BooleanField(**common)
    attrs = {}
    if kind in ("integer", "number"):
        attrs["step"] = "1" if kind == "integer" else "any"
        for key, attr in (("minimum", "min"), ("maximum", "max")):
            if key in definition:
                attrs[attr] = definition[key]
        return forms.CharField(widget=forms.NumberInput(attrs=attrs), **common)
    for key, attr in (
        ("pattern", "pattern"),
        ("minLength", "minlength"),
        ("maxLength", "maxlength"),
    ):
        if key in definition:
            attrs[attr] = definition[key]
    return forms.CharField(widget=forms.TextInput(attrs=attrs), **common)


def boolean_value(checked: bool, stored: str | None) -> str | None:
    """A checkbox cannot say "not set": unchecked leaves an unset property unset, and
    writes "false" over a stored true; a stored value it cannot read is left alone."""
    truthy = stored is not None and stored.lower() in TRUE_WORDS
    falsy = stored is not None and stored.lower() in ("false", "0", "no", "off", "n", "f")
    if checked:
        return stored if truthy else "true"
    if stored is None or falsy:
        return stored
    return "false" if truthy else stored


class PropertiesAndTags(forms.Form):
    """Custom properties and tags. With ``definitions`` (``reads.metadefs.definitions_for``:
    the namespaces the user sees for images), each defined property gets a typed control,
    grouped by namespace; the textarea keeps the other properties as free key=value rows."""

    properties = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="One key=value per line.",
    )
    tags = forms.CharField(required=False, help_text="Separated by commas.")

    def __init__(self, *args, definitions=(), stored=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.stored = dict(stored or {})
        self.defined: dict[str, tuple[str, str, dict]] = {}
        self.groups = []
        for namespace, items in definitions:
            names = []
            for key, definition in items:
                field_name = MD_PREFIX + key
                if definition.get("type") == "object" or field_name in self.fields:
                    continue
                stored_value = self.stored.get(key)
                self.fields[field_name] = metadef_field(key, definition, stored_value)
                if definition.get("type") == "boolean":
                    self.initial[field_name] = (stored_value or "").lower() in TRUE_WORDS
                elif stored_value is not None:
                    self.initial[field_name] = stored_value
                self.defined[field_name] = (key, namespace.namespace, definition)
                names.append(field_name)
            if names:
                self.groups.append((namespace, names))
        if self.groups:
            self.fields["properties"].label = "Other properties"
            self.fields[
                "properties"
            ].help_text = (
                "One key=value per line; the defined properties have their own fields below."
            )

    @property
    def plain_fields(self):
        return [self[name] for name in self.fields if not name.startswith(MD_PREFIX)]

    @property
    def metadef_fieldsets(self):
        return [
            {
                "title": namespace.display_name or namespace.namespace,
                "description": namespace.description or "",
                "fields": [self[name] for name in names],
            }
            for namespace, names in self.groups
        ]

    def clean_properties(self):
        return parse_properties(self.cleaned_data["properties"])

    def clean(self):
        data = super().clean()
        free = data.get("properties")
        if free is None:
            return data
        merged = dict(free)
        for field_name, (key, namespace, definition) in self.defined.items():
            if key in free:
                self.add_error(
                    "properties", f"{key} has its own field ({namespace}): set it there."
                )
                continue
            value = self._typed_value(field_name, key, definition)
            if value is None or value == "":
                continue
            rule = value_error(definition, value) if value != self.stored.get(key) else None
            if rule:
                self.add_error(field_name, f"{key} {rule} ({namespace}).")
            merged[key] = value
        data["properties"] = merged
        return data

    def _typed_value(self, field_name, key, definition) -> str | None:
        raw = self.cleaned_data.get(field_name)
        if definition.get("type") == "boolean":
            return boolean_value(bool(raw), self.stored.get(key))
        return raw.strip() if isinstance(raw, str) else raw

    def clean_tags(self):
        return parse_tags(self.cleaned_data["tags"])


class ImageEditForm(PropertiesAndTags):
    name = forms.CharField(required=False, max_length=255)
    visibility = forms.ChoiceField(choices=VISIBILITY_CHOICES)
    protected = forms.BooleanField(required=False)
    field_order = ["name", "visibility", "protected", "properties", "tags"]


class NewImageForm(PropertiesAndTags):
    name = forms.CharField(max_length=255)
    disk_format = forms.ChoiceField(choices=[(v, v) for v in DiskFormat.values], initial="raw")
    container_format = forms.ChoiceField(
        choices=[(v, v) for v in ContainerFormat.values], initial="bare"
    )
    visibility = forms.ChoiceField(
        choices=[(v, v) for v in Visibility.values if v != Visibility.PUBLIC], initial="private"
    )
    min_disk = forms.IntegerField(required=False, min_value=0, help_text="GiB")
    min_ram = forms.IntegerField(required=False, min_value=0, help_text="MiB")
    protected = forms.BooleanField(required=False)
    field_order = [
        "name",
        "disk_format",
        "container_format",
        "visibility",
        "min_disk",
        "min_ram",
        "protected",
        "properties",
        "tags",
    ]

    def api_body(self) -> dict:
        """The ``POST /v2/images`` body this form describes."""
        data = self.cleaned_data
        body = {
            key: data[key]
            for key in ("name", "disk_format", "container_format", "visibility", "protected")
        }
        for key in ("min_disk", "min_ram"):
            if data[key] is not None:
                body[key] = data[key]
        body.update(data["properties"])
        if data["tags"]:
            body["tags"] = data["tags"]
        return body


class ImportForm(forms.Form):
    uri = forms.URLField(
        label="URL", max_length=2048, assume_scheme="https", help_text="http or https"
    )
    hash_algo = forms.ChoiceField(
        label="Expected hash algorithm",
        choices=[("", "no check"), ("sha256", "sha256"), ("sha512", "sha512"), ("md5", "md5")],
        required=False,
    )
    hash_value = forms.CharField(
        label="Expected hash",
        max_length=128,
        required=False,
        help_text="The import fails, keeping nothing, when the data does not match.",
    )

    def clean(self):
        data = super().clean()
        if bool(data.get("hash_algo")) != bool(data.get("hash_value", "").strip()):
            raise forms.ValidationError("Give both the hash algorithm and its value, or neither.")
        return data

    def method(self) -> dict:
        """The import body's ``method`` (web-download, with the expected hash if given)."""
        data = self.cleaned_data
        method = {"name": "web-download", "uri": data["uri"]}
        if data.get("hash_algo"):
            method["x_vitrine_expected_hash"] = {
                "algo": data["hash_algo"],
                "value": data["hash_value"].strip(),
            }
        return method


class ShareForm(forms.Form):
    project = forms.CharField(
        max_length=255, help_text="A project name or id.", label="Share with project"
    )
