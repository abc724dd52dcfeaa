import base64
import binascii

from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.utils.urls import replace_query_param


class KeysetCursorPagination(CursorPagination):
    """Cursor (keyset) pagination: one query per page, whatever the depth."""

    ordering = ("-created_at", "-id")
    page_size = 25
    page_size_query_param = "pageSize"
    max_page_size = 100
    cursor_query_param = "cursor"


class ComputedRowsPagination:
    """Cursor pagination for computed reports (rows built in Python, not a queryset): the
    same `cursor`/`pageSize` parameters and `next`/`previous`/`results` envelope as every
    other list. The cursor is opaque: the position after the last row of the page."""

    page_size = KeysetCursorPagination.page_size
    max_page_size = KeysetCursorPagination.max_page_size

    @staticmethod
    def schema_parameters():
        from drf_spectacular.utils import OpenApiParameter

        return [
            OpenApiParameter("cursor", str, description="Opaque position from `next` or `previous`."),
            OpenApiParameter("pageSize", int, description="Rows per page (at most 100)."),
        ]

    def _encode(self, position):
        return base64.urlsafe_b64encode(f"p={position}".encode()).decode().rstrip("=")

    def _decode(self, cursor):
        try:
            text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
            position = int(text.removeprefix("p="))
        except (ValueError, UnicodeDecodeError, binascii.Error):
            raise NotFound(_("Invalid cursor.")) from None
        if position < 0:
            raise NotFound(_("Invalid cursor."))
        return position

    def _size(self, request):
        raw = request.query_params.get("pageSize")
        if raw is None:
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            raise ValidationError({"pageSize": [_("Enter a whole number.")]}) from None
        if size < 1:
            raise ValidationError({"pageSize": [_("Enter a number of at least 1.")]})
        return min(size, self.max_page_size)

    def _link(self, request, position):
        return replace_query_param(request.build_absolute_uri(), "cursor", self._encode(position))

    def paginate(self, request, rows):
        """(page rows, envelope without results) for the request's cursor and page size."""
        cursor = request.query_params.get("cursor")
        start = self._decode(cursor) if cursor else 0
        size = self._size(request)
        page = rows[start:start + size]
        envelope = {
            "next": self._link(request, start + size) if start + size < len(rows) else None,
            "previous": self._link(request, max(start - size, 0)) if start > 0 else None,
        }
        return page, envelope
