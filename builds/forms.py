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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        kinds = url_kinds()
        self.fields["source_url"].help_text = f"{kinds[0].upper()}{kinds[1:]}. Empty stops builds."


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
