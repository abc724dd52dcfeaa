from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions

from .models import ApiToken, hash_token


class _TokenLookup:
    """The bearer-token statement: token, user, the user's organisation and role codes in
    one row. Built once per process and database, because composing it through the ORM on
    every API request cost more CPU than running it (docs/performance.md, section 5); the
    values go through the same converters the ORM applies, and the objects are made with
    `from_db`, as the ORM makes them. Role codes (group names) are identifiers without
    commas (regie.core.roles). The WHERE clause is `ApiToken.objects.usable()`."""

    _built = {}

    @classmethod
    def for_connection(cls, connection):
        key = (connection.alias, connection.vendor)
        if key not in cls._built:
            cls._built[key] = cls(connection)
        return cls._built[key]

    def __init__(self, connection):
        from django.contrib.auth.models import Group

        from regie.core.models import Organisation, User

        quote = connection.ops.quote_name
        self.models = []
        columns = []
        for model, alias in ((ApiToken, "t"), (User, "u"), (Organisation, "o")):
            fields = model._meta.concrete_fields
            converters = []
            for field in fields:
                column = field.get_col(alias)
                converters.append((connection.ops.get_db_converters(column) + column.get_db_converters(connection),
                                   column))
                columns.append(f"{alias}.{quote(field.column)}")
            self.models.append((model, [field.attname for field in fields], converters))
        aggregate = "string_agg(g.name, ',')" if connection.vendor == "postgresql" else "group_concat(g.name, ',')"
        self.sql = (
            f"SELECT {', '.join(columns)}, "  # noqa: S608 - quoted identifiers; values are parameters
            f"(SELECT {aggregate} FROM {quote(User.groups.through._meta.db_table)} ug "
            f"JOIN {quote(Group._meta.db_table)} g ON g.id = ug.group_id WHERE ug.user_id = t.{quote('user_id')}) "
            f"FROM {quote(ApiToken._meta.db_table)} t "
            f"INNER JOIN {quote(User._meta.db_table)} u ON u.{quote('id')} = t.{quote('user_id')} "
            f"LEFT OUTER JOIN {quote(Organisation._meta.db_table)} o ON o.{quote('id')} = u.{quote('organisation_id')} "
            f"WHERE t.{quote('key_hash')} = %s AND t.{quote('revoked_at')} IS NULL AND t.{quote('expires_at')} > %s"
        )

    def find(self, connection, key_hash, now):
        with connection.cursor() as cursor:
            cursor.execute(self.sql, [key_hash, connection.ops.adapt_datetimefield_value(now)])
            row = cursor.fetchone()
        if row is None:
            return None
        objects, start = [], 0
        for model, names, converters in self.models:
            values = list(row[start:start + len(names)])
            start += len(names)
            for index, (functions, column) in enumerate(converters):
                for convert in functions:
                    values[index] = convert(values[index], column, connection)
            objects.append(None if values[0] is None else model.from_db(connection.alias, names, values))
        token, user, organisation = objects
        user.organisation = organisation  # cached as select_related would
        token.user = user
        # Every API request checks permissions, which read the role codes: read them here.
        user._role_codes = set(filter(None, (row[start] or "").split(",")))
        return token


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <token>`; the token was issued after every factor."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        parts = header.split()
        if parts[0].lower() != self.keyword.lower():
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(_("Malformed Authorization header."))
        now = timezone.now()
        token = _TokenLookup.for_connection(connection).find(connection, hash_token(parts[1]), now)
        if token is None or not token.user.is_active or token.security_stamp != token.user.security_stamp:
            raise exceptions.AuthenticationFailed(_("The token is unknown, expired or revoked."))
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        request.api_token = token
        return token.user, token

    def authenticate_header(self, request):
        return self.keyword


class MfaSessionAuthentication(authentication.SessionAuthentication):
    """Browser sessions count for the API only once the second factor is done."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None:
            return None
        from regie.core.middleware import mfa_required_for

        user = result[0]
        if mfa_required_for(user) and not request._request.user.is_verified():
            return None
        return result
