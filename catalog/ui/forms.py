"""Forms of the HTML catalog. They only shape input: the services validate it (the same rules
and messages as the API), and their refusals are shown as form errors."""

from django import forms

from catalog.choices import ContainerFormat, DiskFormat, Visibility

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


class PropertiesAndTags(forms.Form):
    properties = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="One key=value per line.",
    )
    tags = forms.CharField(required=False, help_text="Separated by commas.")

    def clean_properties(self):
        return parse_properties(self.cleaned_data["properties"])

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


class ShareForm(forms.Form):
    project = forms.CharField(
        max_length=255, help_text="A project name or id.", label="Share with project"
    )
