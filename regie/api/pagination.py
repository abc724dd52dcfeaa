from rest_framework.pagination import CursorPagination


class KeysetCursorPagination(CursorPagination):
    """Cursor (keyset) pagination: one query per page, whatever the depth."""

    ordering = ("-created_at", "-id")
    page_size = 25
    page_size_query_param = "pageSize"
    max_page_size = 100
    cursor_query_param = "cursor"
