"""API tokens: issue (password + second factor), list and revoke.

Issuing follows the same rules as the sign-in page (accounts.py): the same throttle on
failed attempts, the same second-factor policy. The raw token is returned once.
"""

from django.contrib.auth import authenticate
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from regie.core import accounts
from regie.core.audit import write_record
from regie.core.middleware import client_address

from .base import StrictFieldsMixin
from .models import ApiToken
from .problems import PROBLEM_CONTENT_TYPE


def _problem(request, status_code, title, detail, headers=None, **extra):
    body = {
        "type": "about:blank", "title": str(title), "status": status_code, "detail": str(detail),
        "instance": request.path, **extra,
    }
    response = Response(body, status=status_code, headers=headers)
    response.content_type = PROBLEM_CONTENT_TYPE
    return response


class TokenRequestSerializer(StrictFieldsMixin, serializers.Serializer):
    username = serializers.CharField(max_length=150, trim_whitespace=False)
    password = serializers.CharField(max_length=4096, trim_whitespace=False, style={"input_type": "password"})
    code = serializers.CharField(
        max_length=32, required=False, allow_blank=True,
        help_text=gettext_lazy("Code from the authenticator app, or a recovery code; required when enrolled."),
    )
    name = serializers.CharField(
        max_length=100, required=False, allow_blank=True,
        help_text=gettext_lazy("A name to recognise the token by, e.g. the script that uses it."),
    )


class TokenIssuedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    token = serializers.CharField(help_text=gettext_lazy("The bearer token. Shown only in this response."))
    expiresAt = serializers.DateTimeField()


class TokenSerializer(serializers.ModelSerializer):
    createdAt = serializers.DateTimeField(source="created_at", read_only=True)
    expiresAt = serializers.DateTimeField(source="expires_at", read_only=True)
    lastUsedAt = serializers.DateTimeField(source="last_used_at", read_only=True)
    revokedAt = serializers.DateTimeField(source="revoked_at", read_only=True)
    current = serializers.SerializerMethodField()

    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "createdAt", "expiresAt", "lastUsedAt", "revokedAt", "current"]
        read_only_fields = fields

    def get_current(self, token) -> bool:
        current = getattr(self.context["request"], "api_token", None)
        return current is not None and current.pk == token.pk


PROBLEM = inline_serializer(
    "Problem",
    {
        "type": serializers.CharField(),
        "title": serializers.CharField(),
        "status": serializers.IntegerField(),
        "detail": serializers.CharField(),
        "instance": serializers.CharField(),
        "invalidParams": serializers.ListField(child=serializers.DictField(), required=False),
    },
)


class TokenObtainView(APIView):
    """Exchange username, password and (when enrolled) a second-factor code for a token."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="auth_token_create",
        tags=["auth"],
        request=TokenRequestSerializer,
        responses={
            201: TokenIssuedSerializer,
            400: OpenApiResponse(PROBLEM, description="Malformed body (unknown or missing fields)."),
            401: OpenApiResponse(PROBLEM, description="Wrong username, password or code; `invalidParams` names "
                                 "`code` when the second factor is missing or wrong."),
            403: OpenApiResponse(PROBLEM, description="The account must set up two-step sign-in first."),
            429: OpenApiResponse(PROBLEM, description="Too many failed attempts; see Retry-After."),
        },
        auth=[],
    )
    def post(self, request):
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        username = data["username"]
        address = client_address(request._request)

        throttle = accounts.sign_in_throttle(username, address)
        if throttle is not None:
            accounts.record_throttled(username)
            return _problem(
                request, 429, _("Too many attempts"), throttle.message(),
                headers={"Retry-After": str(throttle.seconds)}, retryAfterSeconds=throttle.seconds,
            )

        user = authenticate(request._request, username=username, password=data["password"])
        if user is None:
            accounts.record_sign_in_failure(username, address)
            return _problem(
                request, 401, _("Sign-in failed"), _("The username or password is not correct."),
                headers={"WWW-Authenticate": "Bearer"},
            )

        if accounts.needs_second_factor(user):
            if not accounts.has_confirmed_device(user):
                write_record("token", actor=user, result="failure", object_repr=user.get_username(),
                             organisation_id=user.organisation_id, message="refused: no second factor enrolled")
                return _problem(
                    request, 403, _("Two-step sign-in not set up"),
                    _("Your account needs two-step sign-in. Set it up in Regie (Security page) first, "
                      "then ask for a token with a code."),
                )
            code = (data.get("code") or "").strip()
            if not code:
                return _problem(
                    request, 401, _("Code required"), _("Send the code from your authenticator app."),
                    headers={"WWW-Authenticate": "Bearer"},
                    invalidParams=[{"name": "code", "code": "required", "reason": _("This field is required.")}],
                )
            result = accounts.verify_second_factor(user, code)
            if not result.ok:
                if result.throttle is not None:
                    return _problem(
                        request, 429, _("Too many attempts"),
                        accounts.second_factor_throttle_message(result.throttle),
                    )
                accounts.record_sign_in_failure(username, address)
                return _problem(
                    request, 401, _("Code not accepted"), _("The code is not right, or it was used before."),
                    headers={"WWW-Authenticate": "Bearer"},
                    invalidParams=[{"name": "code", "code": "invalid",
                                    "reason": _("The code is not right, or it was used before.")}],
                )

        accounts.clear_sign_in_failures(user.get_username())
        token, raw = ApiToken.issue(user, name=data.get("name") or "")
        write_record("token", actor=user, object_repr=f"{token.prefix}…", organisation_id=user.organisation_id,
                     message="issued")
        body = TokenIssuedSerializer({"id": token.pk, "token": raw, "expiresAt": token.expires_at}).data
        return Response(body, status=status.HTTP_201_CREATED, headers={"Cache-Control": "no-store"})


class TokenListView(APIView):
    """The caller's own API tokens (never the secrets)."""

    @extend_schema(operation_id="auth_tokens_list", tags=["auth"], responses={200: TokenSerializer(many=True)})
    def get(self, request):
        tokens = ApiToken.objects.filter(user=request.user).order_by("-created_at", "-id")
        return Response(TokenSerializer(tokens, many=True, context={"request": request}).data)


class TokenDetailView(APIView):
    """Revoke one of the caller's tokens; it stops working at once."""

    @extend_schema(
        operation_id="auth_tokens_destroy",
        tags=["auth"],
        responses={204: None, 404: OpenApiResponse(PROBLEM, description="No such token of yours.")},
    )
    def delete(self, request, pk):
        token = get_object_or_404(ApiToken, pk=pk, user=request.user)
        if token.revoked_at is None:
            ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
            write_record("token", actor=request.user, object_repr=f"{token.prefix}…",
                         organisation_id=request.user.organisation_id, message="revoked")
        return Response(status=status.HTTP_204_NO_CONTENT)
