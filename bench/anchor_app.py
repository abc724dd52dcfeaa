"""The framework's own ceiling on this machine: a trivial DRF APIView that reads one row
and returns it as JSON, served by gunicorn with the same settings and middleware as
Regie. No authentication or permission work, no writes: what Django + DRF + psycopg
cost per request before any of Regie's own code runs.

Run: DJANGO_SETTINGS_MODULE=bench.anchor_settings gunicorn bench.anchor_wsgi:application
"""

from django.db import connection
from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView


class OneRowView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]

    def get(self, request):
        with connection.cursor() as cursor:
            cursor.execute("SELECT id, code, name FROM core_organisation ORDER BY id LIMIT 1")
            row = cursor.fetchone()
        return Response({"id": row[0], "code": row[1], "name": row[2]})


urlpatterns = [path("anchor", OneRowView.as_view())]
