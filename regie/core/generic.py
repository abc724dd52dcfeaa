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
    # CSV / Excel export of the filtered list: [(header, "dotted.attribute" or callable(obj)), ...]
    export_columns = ()
    export_name = "export"

    def get_queryset(self):
        return self.get_scoped_queryset().select_related(*self.select_related)

    def filtered_queryset(self):
        queryset = self.get_queryset()
        if self.filterset_class is None:
            return None, queryset
        filterset = self.filterset_class(self.request.GET or None, queryset=queryset, request=self.request)
        if filterset.is_bound and filterset.is_valid():
            queryset = filterset.qs
        return filterset, queryset

    def get(self, request, *args, **kwargs):
        if request.GET.get("export") == "csv" and self.export_columns:
            return self.export_csv()
        if request.GET.get("export") == "xlsx" and self.export_columns:
            return self.export_xlsx()
        return super().get(request, *args, **kwargs)

    def export_xlsx(self):
        """As export_csv, as an Excel workbook: dates and amounts as real Excel values."""
        from .audit import write_record
        from .exports import xlsx_response

        _filterset, queryset = self.filtered_queryset()
        sort = self.request.GET.get("sort") if self.request.GET.get("sort") in self.orderings else self.default_ordering
        query = self.request.GET.copy()
        query.pop("export", None)
        write_record("export", object_repr=f"{self.export_name} (Excel)", message=f"filters: {query.urlencode()}"[:300])
        rows = (
            [_resolve(obj, accessor) for _header, accessor in self.export_columns]
            for obj in queryset.order_by(*self.orderings[sort][1]).iterator(chunk_size=2000)
        )
        return xlsx_response(self.export_name, [str(header) for header, _accessor in self.export_columns], rows)

    def export_csv(self):
        """The whole filtered list (not just the page), in the chosen order; audited."""
        from .audit import write_record
        from .exports import stream_csv

        _filterset, queryset = self.filtered_queryset()
        sort = self.request.GET.get("sort") if self.request.GET.get("sort") in self.orderings else self.default_ordering
        query = self.request.GET.copy()
        query.pop("export", None)
        write_record("export", object_repr=f"{self.export_name} (CSV)", message=f"filters: {query.urlencode()}"[:300])
        rows = (
            [_resolve(obj, accessor) for _header, accessor in self.export_columns]
            for obj in queryset.order_by(*self.orderings[sort][1]).iterator(chunk_size=2000)
        )
        return stream_csv(self.export_name, [str(header) for header, _accessor in self.export_columns], rows)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        filterset, queryset = self.filtered_queryset()
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
        export_query = self.request.GET.copy()
        export_query.pop("cursor", None)
        export_query["export"] = "csv"
        xlsx_query = export_query.copy()
        xlsx_query["export"] = "xlsx"
        context.update(
            export_url=f"?{export_query.urlencode()}" if self.export_columns else None,
            export_xlsx_url=f"?{xlsx_query.urlencode()}" if self.export_columns else None,
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


def _resolve(obj, accessor):
    if callable(accessor):
        return accessor(obj)
    value = obj
    for part in accessor.split("."):
        value = getattr(value, part, None)
        if value is None:
            return ""
    display = getattr(obj, f"get_{accessor}_display", None) if "." not in accessor else None
    return display() if callable(display) else value
