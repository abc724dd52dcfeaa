from django import forms


class AccessibleFormMixin:
    """Bootstrap classes plus aria-invalid/aria-describedby on every widget (WCAG 3.3.1)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.decorate_widgets()

    def decorate_widgets(self):
        for name, field in self.fields.items():
            widget = field.widget
            if isinstance(widget, forms.HiddenInput):
                continue
            css = "form-select" if isinstance(widget, forms.Select) else (
                "form-check-input" if isinstance(widget, forms.CheckboxInput) else "form-control")
            widget.attrs["class"] = (widget.attrs.get("class", "") + " " + css).strip()
            described = []
            if field.help_text:
                described.append(f"id_{name}_help")
            if self.is_bound and name in self.errors:
                widget.attrs["aria-invalid"] = "true"
                widget.attrs["class"] += " is-invalid"
                described.append(f"id_{name}_error")
            if described:
                widget.attrs["aria-describedby"] = " ".join(described)

    def full_clean(self):
        super().full_clean()
        self.decorate_widgets()
