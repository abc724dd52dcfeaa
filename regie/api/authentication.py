from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions

from .models import ApiToken, hash_token


def _with_role_codes(tokens):
    """Tokens annotated with their user's role codes (group names) as one comma-separated
    text, so a request needs one statement for token, user, organisation and roles, not
    two. Role codes are identifiers without commas (regie.core.roles)."""
    from django.contrib.auth.models import Group
    from django.db import connection
    from django.db.models.expressions import RawSQL

    from regie.core.models import User

    quote = connection.ops.quote_name
    through = quote(User.groups.through._meta.db_table)
    groups = quote(Group._meta.db_table)
    token_table = quote(ApiToken._meta.db_table)
    aggregate = "string_agg(g.name, ',')" if connection.vendor == "postgresql" else "group_concat(g.name, ',')"
    return tokens.annotate(role_codes=RawSQL(  # noqa: S611 - quoted identifiers only, no input
        f"SELECT {aggregate} FROM {through} ug JOIN {groups} g ON g.id = ug.group_id "  # noqa: S608 - identifiers
        f"WHERE ug.user_id = {token_table}.user_id", []))


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
        token = _with_role_codes(ApiToken.objects.usable().select_related("user", "user__organisation")).filter(
            key_hash=hash_token(parts[1])
        ).first()
        if token is not None:
            # Every API request checks permissions, which read the role codes: read them here.
            token.user._role_codes = set(filter(None, (token.role_codes or "").split(",")))
        if token is None or not token.user.is_active or token.security_stamp != token.user.security_stamp:
            raise exceptions.AuthenticationFailed(_("The token is unknown, expired or revoked."))
        now = timezone.now()
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
