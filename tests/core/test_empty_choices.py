"""Select boxes name their empty choice in words: "choose" when a value is required, "none"
when it is optional, never Django's row of dashes."""

from django import forms
from django.utils import translation

from regie.core.forms import AccessibleFormMixin
from regie.core.models import Organisation


class Example(AccessibleFormMixin, forms.Form):
    owner = forms.ModelChoiceField(queryset=Organisation.objects.none())
    backup_owner = forms.ModelChoiceField(queryset=Organisation.objects.none(), required=False)
    colour = forms.ChoiceField(choices=[("", "---------"), ("red", "red")], required=False)
    size = forms.ChoiceField(choices=[("s", "small")])
    kept = forms.ModelChoiceField(queryset=Organisation.objects.none(), required=False, empty_label="All")


def test_empty_choices_are_named_in_words():
    with translation.override("nl"):
        html = str(Example())
    assert "---------" not in html
    assert "— kies —" in html and html.count("— geen —") == 2
    assert '<option value="s">small</option>' in html and ">All<" in html  # other choices untouched
    with translation.override("en"):
        assert "— choose —" in str(Example()["owner"])
