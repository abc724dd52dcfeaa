"""A django-filter FilterSet that builds its form class once per class.

django-filter makes the form class anew for every request: a form field per filter (choice
fields normalise their choices each time), then a class. For the API call list that was
about a tenth of a request's CPU (docs/performance.md, section 6). The fields follow from
the filters' declarations alone, except the querysets of model choices, which a filterset
may narrow to the user (TicketFilterSet does): the shared class holds no queryset, and each
form gets the request's own on its own copies of the fields (Django copies a form class's
fields for every form).

So a subclass may, per request, change only the `queryset` of its model-choice filters.
Anything else that varies per request (labels, choices) needs django-filter's own
`FilterSet`. Each filterset's filters are shallow copies of the declared ones, made so
that nothing a request sets on them is seen by another (`_own_copy`).
"""

import copy

import django_filters
from django.http import QueryDict
from django_filters.filters import QuerySetRequestMixin


def _own_copy(filter_):
    """A copy of a declared filter for one filterset. What a request may change is its own:
    its attributes (model, parent, queryset), its extra arguments, its cached field and the
    binding of its method (a method filter calls the method of the filterset it is bound to,
    which knows the request's user: a shared binding would run for another request). The
    declaration's values (choices, labels) are shared, not deep-copied as django-filter does
    (~7 % of an API list request)."""
    own = copy.copy(filter_)
    own.extra = dict(filter_.extra)
    own.__dict__.pop("_field", None)
    if own.method is not None:
        own.method = own.method  # the setter binds a new FilterMethod to this copy
    return own


class SharedFormFilterSet(django_filters.FilterSet):
    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        # django-filter's BaseFilterSet.__init__, with _own_copy for its deepcopy.
        if queryset is None:
            queryset = self._meta.model._default_manager.all()
        self.is_bound = data is not None
        self.data = data or QueryDict()
        self.queryset = queryset
        self.request = request
        self.form_prefix = prefix
        self.filters = {name: _own_copy(filter_) for name, filter_ in self.base_filters.items()}
        for filter_ in self.filters.values():
            filter_.model = queryset.model
            filter_.parent = self

    @classmethod
    def _shared_form_class(cls, filters):
        form_class = cls.__dict__.get("_form_class")
        if form_class is None:
            # django-filter's get_form_class, made once from the first request's filters.
            fields = {name: filter_.field for name, filter_ in filters.items()}
            form_class = type(f"{cls.__name__}Form", (cls._meta.form,), fields)
            for name, filter_ in filters.items():
                if isinstance(filter_, QuerySetRequestMixin):
                    form_class.base_fields[name].queryset = None  # set per form, never shared
            cls._form_class = form_class
        return form_class

    def get_form_class(self):
        return self._shared_form_class(self.filters)

    @property
    def form(self):
        if not hasattr(self, "_form"):
            form = super().form
            for name, filter_ in self.filters.items():
                if isinstance(filter_, QuerySetRequestMixin):
                    queryset = filter_.get_queryset(self.request)
                    form.fields[name].queryset = queryset if queryset is not None else filter_.extra.get("queryset")
        return self._form
