"""OpenAPI descriptions of our authentication classes (drf-spectacular extensions)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "regie.api.authentication.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "Token from POST /api/v1/auth/token (password and, when enrolled, the second factor).",
        }


class MfaSessionScheme(OpenApiAuthenticationExtension):
    target_class = "regie.api.authentication.MfaSessionAuthentication"
    name = "sessionAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "cookie", "name": "sessionid",
                "description": "Browser session after sign-in with the second factor (CSRF token required)."}


API_VERSION_HEADER = {
    "description": "The full semantic version of the API (NLGov API-57).",
    "schema": {"type": "string", "example": "1.0.0"},
}

PROBLEM_SCHEMA = {
    "type": "object",
    "description": "RFC 9457 problem details.",
    "properties": {
        "type": {"type": "string", "example": "about:blank"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "invalidParams": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"name": {"type": "string"}, "code": {"type": "string"}, "reason": {"type": "string"}},
            },
        },
    },
    "required": ["type", "title", "status"],
}

# Errors every operation can answer (authentication, a bad request, an unknown object).
COMMON_PROBLEMS = {
    "400": "Invalid input; `invalidParams` names each field.",
    "401": "Not signed in, or the token is unknown, expired or revoked.",
    "404": "Not found, or outside your scope.",
}


def nlgov_postprocess(result, generator, request, public):
    """drf-spectacular hook: every response documents the API-Version header, and every
    operation its problem-details error responses (as the NLGov ADR linter expects)."""
    components = result.setdefault("components", {})
    components.setdefault("schemas", {})["ProblemDetails"] = PROBLEM_SCHEMA
    problem_content = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}}
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            for code, description in COMMON_PROBLEMS.items():
                responses.setdefault(code, {"description": description, "content": problem_content})
            if method in ("put", "patch"):
                responses.setdefault("409", {"description": "Someone else changed it meanwhile (stale `version`).",
                                             "content": problem_content})
            for response in responses.values():
                response.setdefault("headers", {})["API-Version"] = API_VERSION_HEADER
    return result
