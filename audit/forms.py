"""The audit log's filter form (a GET form: filters live in the URL, so pages and the CSV
link keep them)."""

from django import forms

from audit.filters import (
    ACTION_PREFIXES,
    MOMENT_HELP,
    EventFilter,
    moment_parse,
    order_check,
)
from hub.events import ACTIONS

ACTION_SELECT = [
    ("", "Any action"),
    (
        "Families",
        [(prefix, f"{prefix}* (every {prefix[:-1]} event)") for prefix in ACTION_PREFIXES],
    ),
    ("Actions", [(action, action) for action in ACTIONS]),
]


class ActivityFilterForm(forms.Form):
    actor = forms.CharField(
        max_length=150, required=False, help_text="A username, or a robot (acme+ci)."
    )
    action = forms.ChoiceField(choices=ACTION_SELECT, required=False)
    repository = forms.CharField(max_length=255, required=False)
    since = forms.CharField(
        max_length=40, required=False, help_text="From then on: a date, or 2026-01-31T14:30Z."
    )
    until = forms.CharField(
        max_length=40, required=False, help_text="Up to then; a date is its whole day."
    )

    def __init__(self, *args, scope: str, **kwargs):
        """``scope``: namespace (repository is a name in it), repository (no repository
        field), or site (a namespace or namespace/name)."""
        super().__init__(*args, **kwargs)
        if scope == "repository":
            del self.fields["repository"]
        elif scope == "site":
            self.fields["repository"].label = "Namespace or repository"
            self.fields["repository"].help_text = "alice, or alice/app."
        else:
            self.fields["repository"].help_text = "Its name in this namespace (app)."
        for name in ("since", "until"):
            self.fields[name].widget.attrs["placeholder"] = "2026-01-31"
            self.fields[name].widget.attrs["title"] = MOMENT_HELP

    def _moment(self, name: str, *, end: bool):
        try:
            return moment_parse(self.cleaned_data.get(name, ""), end=end)
        except ValueError as error:
            raise forms.ValidationError(str(error)) from None

    def clean_since(self):
        return self._moment("since", end=False)

    def clean_until(self):
        return self._moment("until", end=True)

    def clean(self):
        data = super().clean()
        try:
            order_check(data.get("since"), data.get("until"))
        except ValueError as error:
            self.add_error("until", str(error))
        return data

    def filters(self) -> EventFilter:
        """What the (valid, or empty) form narrows the log to."""
        if not self.is_bound:
            return EventFilter()
        data = self.cleaned_data
        return EventFilter(
            actor=data.get("actor", "").strip(),
            action=data.get("action", ""),
            repository=data.get("repository", "").strip().strip("/"),
            since=data.get("since"),
            until=data.get("until"),
        )
