from django import forms
from django.db.models.fields import BLANK_CHOICE_DASH
from django.utils.translation import gettext_lazy as _

DJANGO_EMPTY_LABEL = BLANK_CHOICE_DASH[0][1]


class AccessibleFormMixin:
    """Bootstrap classes plus aria-invalid/aria-describedby on every widget (WCAG 3.3.1)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.name_empty_choices()
        self.decorate_widgets()

    def name_empty_choices(self):
        """Django's empty choice is a row of dashes, which a screen reader spells out and a user
        has to guess at: say "choose" where a value is required and "none" where it is optional."""
        for field in self.fields.values():
            label = _("— choose —") if field.required else _("— none —")
            if isinstance(field, forms.ModelChoiceField) and field.empty_label == DJANGO_EMPTY_LABEL:
                field.empty_label = label
            elif isinstance(field, forms.ChoiceField) and not isinstance(field, forms.ModelChoiceField):
                choices = list(field.choices)
                if choices and choices[0] == ("", DJANGO_EMPTY_LABEL):
                    field.choices = [("", label), *choices[1:]]

    def decorate_widgets(self):
        # Read errors only once validation has run; touching self.errors would run it early.
        errors = self._errors or {}
        for name, field in self.fields.items():
            widget = field.widget
            if isinstance(widget, forms.HiddenInput):
                continue
            css = "form-select" if isinstance(widget, forms.Select) else (
                # RadioSelect also covers CheckboxSelectMultiple (its subclass).
                "form-check-input" if isinstance(widget, forms.CheckboxInput | forms.RadioSelect) else "form-control")
            classes = widget.attrs.get("class", "").split()
            if css not in classes:
                classes.append(css)
            described = []
            # The ids form_field.html gives the help and error texts (prefix included).
            field_id = self[name].auto_id or f"id_{name}"
            if field.help_text:
                described.append(f"{field_id}_help")
            if name in errors:
                widget.attrs["aria-invalid"] = "true"
                if "is-invalid" not in classes:
                    classes.append("is-invalid")
                described.append(f"{field_id}_error")
            widget.attrs["class"] = " ".join(classes)
            if described:
                widget.attrs["aria-describedby"] = " ".join(described)

    def full_clean(self):
        super().full_clean()
        self.decorate_widgets()


def add_service_errors(form, exc, aliases=None):
    """Put a ValidationError raised by a service on the form: each message on its field (or
    the field it is called in this form, `aliases`), the rest on the form as a whole; then
    mark the widgets again so the new errors are announced (aria-invalid)."""
    aliases = aliases or {}
    errors = exc.message_dict if hasattr(exc, "error_dict") else {None: exc.messages}
    for field, messages in errors.items():
        field = aliases.get(field, field)
        form.add_error(field if field in form.fields else None, messages)
    if hasattr(form, "decorate_widgets"):
        form.decorate_widgets()
