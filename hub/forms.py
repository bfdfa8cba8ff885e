"""Forms of the hub's pages. They check shapes; the services decide what is allowed."""

from django import forms
from django.conf import settings

from hub.selectors import SEARCH_ORDERINGS, TAG_ORDERINGS

VISIBILITY_CHOICES = [
    ("public", "Public — anyone who can reach this hub can see and pull it"),
    ("private", "Private — only you, those you give access and the hub's staff see and pull it"),
]
NAME_HELP = "Lowercase letters, digits and . _ -; use / to make a path, e.g. tools/lint."
ORDERING_LABELS = {
    "best": "Best match",
    "stars": "Most stars",
    "pulls": "Most pulls",
    "updated": "Recently updated",
}
# A KeyError here at import means the selector grew an ordering this page cannot name yet.
ORDERING_CHOICES = [(key, ORDERING_LABELS[key]) for key in SEARCH_ORDERINGS]


def search_filters(params) -> dict:
    """The search page's query string, read forgivingly: unknown values mean the default."""
    ordering = params.get("ordering", "best")
    return {
        "query": params.get("q", "").strip()[:200],
        "official": True if params.get("official") == "1" else None,
        "automated": True if params.get("automated") == "1" else None,
        "ordering": ordering if ordering in SEARCH_ORDERINGS else "best",
    }


def tag_ordering(value: str | None) -> str:
    return value if value in TAG_ORDERINGS else "-updated"


class RepositoryFieldsForm(forms.Form):
    description = forms.CharField(
        label="Short description",
        required=False,
        max_length=100,
        help_text="Up to 100 characters, shown in search results.",
    )
    full_description = forms.CharField(
        label="Full description (README)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text="Markdown. Shown on the repository's Overview tab.",
    )
    visibility = forms.ChoiceField(
        choices=VISIBILITY_CHOICES, widget=forms.RadioSelect, initial="public"
    )

    def repository_fields(self) -> dict:
        return {
            "description": self.cleaned_data["description"],
            "full_description": self.cleaned_data["full_description"],
            "is_private": self.cleaned_data["visibility"] == "private",
        }


class RepositoryCreateForm(RepositoryFieldsForm):
    namespace = forms.ChoiceField(label="Namespace")
    name = forms.CharField(label="Repository name", max_length=200, help_text=NAME_HELP)

    field_order = ["namespace", "name", "description", "full_description", "visibility"]

    def __init__(self, *args, namespaces: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["namespace"].choices = [(ns, ns) for ns in namespaces]
        self.fields["visibility"].initial = settings.WHARF_DEFAULT_VISIBILITY


class RepositorySettingsForm(RepositoryFieldsForm):
    @classmethod
    def for_repository(cls, repository, data=None):
        initial = {
            "description": repository.description,
            "full_description": repository.full_description,
            "visibility": "private" if repository.is_private else "public",
        }
        return cls(data, initial=initial, prefix="settings")


class RepositoryDeleteForm(forms.Form):
    """Deleting is confirmed by typing the repository's full name, as on Docker Hub."""

    confirm = forms.CharField(label="Repository name", max_length=300)

    def __init__(self, *args, full_name: str, **kwargs):
        super().__init__(*args, prefix="delete", **kwargs)
        self.full_name = full_name
        self.fields["confirm"].label = f"Type {full_name} to confirm"

    def clean_confirm(self):
        value = self.cleaned_data["confirm"].strip()
        if value != self.full_name:
            raise forms.ValidationError(
                f"That is not the repository's name. Type {self.full_name} exactly."
            )
        return value
