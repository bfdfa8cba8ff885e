"""Forms of the organization pages and a repository's Permissions page.

They check shapes; ``orgs.services`` and ``orgs.robots`` decide what is allowed, and their
``OrgError(message, field)`` lands next to the field it names (``add_org_error``).
"""

import re

from django import forms

from accounts.names import HELP_TEXT as NAME_HELP
from orgs.models import Level, Robot, Role

ROLE_HELP = (
    "Owners manage everything; editors create and delete repositories and manage team access; "
    "members see the organization and get other rights through teams."
)
PERMISSION_CHOICES = [(level.label, level.label.capitalize()) for level in Level]
PERMISSION_HELP = "Read pulls; write also pushes and manages tags; admin also changes settings."
ACTION_CHOICES = [
    ("pull", "Pull"),
    ("push", "Push"),
    ("delete", "Delete tags and repositories"),
]


def add_org_error(form: forms.Form, error) -> None:
    """A service's OrgError next to the field it names (above the form when it names none)."""
    form.add_error(error.field if error.field in form.fields else None, error.message)


def _username_field() -> forms.CharField:
    return forms.CharField(
        label="Username",
        max_length=30,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )


class OrgCreateForm(forms.Form):
    name = forms.CharField(
        label="Organization name",
        max_length=30,
        help_text=f"{NAME_HELP} It becomes the namespace: HOST/<name>/app.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    full_name = forms.CharField(
        label="Full name",
        required=False,
        max_length=100,
        help_text="Optional, shown on the organization's page, e.g. “Acme Corporation”.",
    )

    def clean_name(self) -> str:
        return self.cleaned_data["name"].strip()


class OrgSettingsForm(forms.Form):
    full_name = forms.CharField(label="Full name", required=False, max_length=100)

    def __init__(self, *args, org, **kwargs):
        super().__init__(*args, initial={"full_name": org.full_name}, prefix="org", **kwargs)


class OrgDeleteForm(forms.Form):
    """Deleting is confirmed by typing the organization's name, as for repositories."""

    confirm = forms.CharField(max_length=30)

    def __init__(self, *args, org, **kwargs):
        super().__init__(*args, prefix="delete", **kwargs)
        self.org_name = org.name
        self.fields["confirm"].label = f"Type {org.name} to confirm"

    def clean_confirm(self) -> str:
        value = self.cleaned_data["confirm"].strip()
        if value != self.org_name:
            raise forms.ValidationError(
                f"That is not the organization's name. Type {self.org_name} exactly."
            )
        return value


class MemberAddForm(forms.Form):
    username = _username_field()
    role = forms.ChoiceField(choices=Role.choices, initial=Role.MEMBER, help_text=ROLE_HELP)

    def clean_username(self) -> str:
        return self.cleaned_data["username"].strip()


class RoleForm(forms.Form):
    role = forms.ChoiceField(label="Role", choices=Role.choices)


class TeamForm(forms.Form):
    name = forms.CharField(
        label="Team name",
        max_length=50,
        help_text="Lowercase letters, digits, - and _, e.g. devs or release-managers.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    description = forms.CharField(label="Description", required=False, max_length=200)

    def clean_name(self) -> str:
        return self.cleaned_data["name"].strip()


class TeamMemberAddForm(forms.Form):
    username = _username_field()

    def clean_username(self) -> str:
        return self.cleaned_data["username"].strip()


class RobotCreateForm(forms.Form):
    name = forms.CharField(
        label="Robot name",
        max_length=30,
        help_text="Lowercase letters, digits and _; the account is <namespace>+<name>.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    description = forms.CharField(
        label="Description",
        required=False,
        max_length=200,
        help_text="What uses it, e.g. “CI pipeline”.",
    )
    all_repositories = forms.BooleanField(
        label="All repositories, present and future", required=False, initial=True
    )
    repositories = forms.CharField(
        label="Or only these repositories",
        required=False,
        max_length=1000,
        help_text="Names in this namespace separated by spaces or commas, e.g. app tools/lint.",
    )
    actions = forms.MultipleChoiceField(
        label="It may",
        choices=ACTION_CHOICES,
        initial=["pull"],
        widget=forms.CheckboxSelectMultiple,
    )
    expires_in_days = forms.IntegerField(
        label="Expires after (days)",
        required=False,
        min_value=1,
        max_value=3650,
        help_text="Leave empty for a robot that does not expire.",
    )

    def __init__(self, *args, namespace, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields[
            "name"
        ].help_text = f"Lowercase letters, digits and _; the account is {namespace.name}+<name>."

    def clean(self):
        cleaned = super().clean()
        names = [n for n in re.split(r"[\s,]+", cleaned.get("repositories") or "") if n]
        if cleaned.get("all_repositories"):
            cleaned["repository_list"] = [Robot.ALL]
        elif names:
            cleaned["repository_list"] = names
        else:
            self.add_error(
                "repositories", "Tick “All repositories” or name the repositories it may use."
            )
        return cleaned

    def robot_fields(self) -> dict:
        return {
            "name": self.cleaned_data["name"].strip(),
            "description": self.cleaned_data["description"],
            "repositories": self.cleaned_data["repository_list"],
            "actions": self.cleaned_data["actions"],
            "expires_in_days": self.cleaned_data["expires_in_days"],
        }


class PermissionForm(forms.Form):
    """A team's or collaborator's permission on one repository."""

    permission = forms.ChoiceField(
        label="Permission", choices=PERMISSION_CHOICES, initial=Level.READ.label
    )


class TeamPermissionAddForm(PermissionForm):
    team = forms.ChoiceField(label="Team")

    field_order = ["team", "permission"]

    def __init__(self, *args, teams: list[str], **kwargs):
        super().__init__(*args, prefix="add", **kwargs)
        self.fields["team"].choices = [(name, name) for name in teams]
        self.fields["permission"].help_text = PERMISSION_HELP


class CollaboratorAddForm(PermissionForm):
    username = _username_field()

    field_order = ["username", "permission"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix="add", **kwargs)
        self.fields["permission"].help_text = PERMISSION_HELP

    def clean_username(self) -> str:
        return self.cleaned_data["username"].strip()
