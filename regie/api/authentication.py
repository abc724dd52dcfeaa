from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions

from .models import ApiToken, hash_token


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
        token = ApiToken.objects.usable().select_related("user", "user__organisation").filter(
            key_hash=hash_token(parts[1])
        ).first()
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
