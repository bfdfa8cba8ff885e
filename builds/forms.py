"""Forms of the build pages. They check shapes; builds/services.py and validation decide."""

from django import forms
from django.core.exceptions import ValidationError

from builds.models import BuildRule, SourceType
from builds.validation import url_kinds

ANOTHER_REF = ""


def add_service_errors(form: forms.Form, error: ValidationError, rename: dict | None = None):
    """Put a service's ValidationError next to the fields it names (the rest above the form)."""
    rename = rename or {}
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, messages in error.message_dict.items():
        field = rename.get(field, field)
        form.add_error(field if field in form.fields else None, messages)


class SourceForm(forms.Form):
    source_url = forms.CharField(
        label="Git URL",
        required=False,
        max_length=500,
        widget=forms.TextInput(attrs={"placeholder": "https://git.example.com/team/app.git"}),
    )
    git_username = forms.CharField(
        label="User name (private https source)",
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    git_token = forms.CharField(
        label="Access token or password",
        required=False,
        max_length=4096,
        strip=False,
        # Never sent back to the browser: the page only says whether one is set.
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}, render_value=False),
    )
    forget_credentials = forms.BooleanField(label="Remove the stored credentials", required=False)

    def __init__(self, *args, has_token: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        kinds = url_kinds()
        self.fields["source_url"].help_text = f"{kinds[0].upper()}{kinds[1:]}. Empty stops builds."
        self.fields["git_token"].help_text = (
            "A token is set; leave this empty to keep it. "
            if has_token
            else "For a private repository on an https host. "
        ) + "Stored encrypted, sent only to the git URL's host, never shown again."
        if not has_token:
            del self.fields["forget_credentials"]

    def credentials(self) -> tuple[str, str | None] | None:
        """(user name, token or None to keep it) to store, or None to change nothing."""
        data = self.cleaned_data
        if data.get("forget_credentials"):
            return "", ""
        if data["git_token"]:
            return data["git_username"], data["git_token"]
        if data["git_username"] or "forget_credentials" in self.fields:
            return data["git_username"], None
        return None


class SecretForm(forms.Form):
    name = forms.CharField(
        label="Secret name",
        max_length=64,
        help_text="The Dockerfile reads it with RUN --mount=type=secret,id=<name>.",
    )
    value = forms.CharField(
        label="Secret value",
        strip=False,
        max_length=65536,
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "off", "spellcheck": "false"}),
        help_text="Stored encrypted; never shown again, never logged. Setting a name again "
        "replaces its value.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix="secret", **kwargs)


class RuleForm(forms.Form):
    source_type = forms.ChoiceField(label="Source type", choices=SourceType.choices)
    source = forms.CharField(
        max_length=200,
        initial="main",
        help_text="A branch or tag name, or a regex between slashes: /^v([0-9.]+)$/",
    )
    docker_tag = forms.CharField(
        label="Docker tag",
        max_length=128,
        initial="latest",
        help_text="A name or a template: {sourceref}, {short_sha}, {\\1}…{\\9}.",
    )
    dockerfile = forms.CharField(label="Dockerfile path", max_length=300, initial="Dockerfile")
    context = forms.CharField(label="Build context", max_length=300, initial="/")
    build_args = forms.CharField(
        label="Build args",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "KEY=value"}),
        help_text="One KEY=value a line, passed as --build-arg.",
    )
    cache = forms.BooleanField(label="Use the layer cache", required=False, initial=True)
    autobuild = forms.BooleanField(
        label="Build on push (trigger URL)", required=False, initial=True
    )
    active = forms.BooleanField(label="Active", required=False, initial=True)

    FIELDS = [
        "source_type",
        "source",
        "docker_tag",
        "dockerfile",
        "context",
        "build_args",
        "cache",
        "autobuild",
        "active",
    ]

    def __init__(self, *args, prefix="rule", **kwargs):
        super().__init__(*args, prefix=prefix, **kwargs)

    @classmethod
    def for_rule(cls, rule: BuildRule, data=None):
        initial = {name: getattr(rule, name) for name in cls.FIELDS}
        initial["build_args"] = "\n".join(f"{k}={v}" for k, v in rule.build_args.items())
        return cls(data, initial=initial, prefix=f"rule-{rule.pk}")

    def rule_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.FIELDS}


class BuildNowForm(forms.Form):
    rule = forms.ChoiceField(label="Rule", required=False)
    source_type = forms.ChoiceField(
        label="Source type", choices=SourceType.choices, required=False, initial="branch"
    )
    ref = forms.CharField(
        label="Branch or tag",
        required=False,
        max_length=200,
        help_text="Needed for pattern rules and for “another branch or tag”.",
    )

    def __init__(self, *args, rules=(), **kwargs):
        super().__init__(*args, prefix="run", **kwargs)
        self.rules = {str(rule.pk): rule for rule in rules}
        choices = [(key, f"{rule}") for key, rule in self.rules.items()]
        self.fields["rule"].choices = [*choices, (ANOTHER_REF, "Another branch or tag…")]
        if choices:
            self.fields["rule"].initial = choices[0][0]

    def request(self) -> tuple[BuildRule | None, str, str]:
        """(rule or None, source type, ref) to build; form errors when something is missing."""
        rule = self.rules.get(self.cleaned_data["rule"])
        ref = self.cleaned_data["ref"].strip()
        if rule is not None and not rule.is_regex:
            return rule, rule.source_type, rule.source
        if not ref:
            message = (
                f"This rule builds every {rule.source_type} matching {rule.source}: name one."
                if rule
                else "Name the branch or tag to build."
            )
            raise ValidationError({"ref": message})
        source_type = rule.source_type if rule else self.cleaned_data["source_type"] or "branch"
        return rule, source_type, ref
