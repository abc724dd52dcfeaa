"""Generic views: every list and detail page takes the same scoped queryset.

`get_scoped_queryset()` is the one path from a request to tenant data; no view filters
by organisation by hand. Detail lookups outside the scope are 404, never 403, so a
municipality cannot even learn that another's object exists.
"""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from .pagination import InvalidCursor, paginate


class ScopedMixin(LoginRequiredMixin):
    model = None
    # A user without this permission sees nothing (an empty list, 404 on detail).
    view_permission = None

    def get_scoped_queryset(self):
        user = self.request.user
        if self.view_permission and not user.has_perm(self.view_permission):
            return self.model.objects.none()
        return self.model.objects.for_user(user)


class ScopedListView(ScopedMixin, TemplateView):
    filterset_class = None
    # Offered sort orders: key → (label, ordering); the last field must be unique.
    orderings = {}
    default_ordering = None
    page_size = 25
    select_related = ()

    def get_queryset(self):
        return self.get_scoped_queryset().select_related(*self.select_related)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        queryset = self.get_queryset()
        filterset = None
        if self.filterset_class is not None:
            filterset = self.filterset_class(self.request.GET or None, queryset=queryset, request=self.request)
            queryset = filterset.qs if filterset.is_bound and filterset.is_valid() else queryset
        sort = self.request.GET.get("sort") or self.default_ordering
        if sort not in self.orderings:
            sort = self.default_ordering
        try:
            page = paginate(queryset, self.orderings[sort][1], self.request.GET.get("cursor"), self.page_size)
        except InvalidCursor:
            page = paginate(queryset, self.orderings[sort][1], None, self.page_size)
            context["cursor_error"] = _("That page link is no longer valid; showing the first page.")
        query = self.request.GET.copy()
        query.pop("cursor", None)
        context.update(
            filterset=filterset,
            page=page,
            object_list=page.items,
            sort=sort,
            orderings=[(key, label) for key, (label, _ordering) in self.orderings.items()],
            base_query=query.urlencode(),
            is_filtered=bool(
                filterset
                and filterset.is_bound
                and any(value for key, value in self.request.GET.items() if key not in {"sort", "cursor"})
            ),
        )
        return context


class ScopedDetailView(ScopedMixin, TemplateView):
    lookup_field = "pk"
    lookup_url_kwarg = "pk"
    context_object_name = "object"

    def get_object(self):
        if not hasattr(self, "_object"):
            value = self.kwargs[self.lookup_url_kwarg]
            try:
                self._object = self.get_scoped_queryset().get(**{self.lookup_field: value})
            except (self.model.DoesNotExist, ValueError) as exc:
                raise Http404 from exc
        return self._object

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        obj = self.get_object()
        context["object"] = obj
        context[self.context_object_name] = obj
        return context
