"""Request bodies of /auth/v1, read as GoTrue reads them into its params
structs (`retrieveRequestParams` in internal/api/helpers.go).

A body is at most `MAX_BODY_BYTES` (GoTrue's limitRequestBody; 413
`request_entity_too_large`) and one JSON object nested at most
`koyalite.jsonbody.MAX_DEPTH` levels (400 `validation_failed`). Each
endpoint declares the fields its GoTrue struct has and their JSON types: a
field of another type fails the request with 400 `bad_json`, as Go's
unmarshalling does; JSON null leaves a field unset; keys no struct has are
dropped, so services only ever see declared fields of declared types. An
empty body is not JSON (400 `bad_json`) except where GoTrue reads the body
only if there is one.
"""

from __future__ import annotations

from typing import Any

import orjson
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest

from accounts.errors import BadJson, RequestEntityTooLarge, ValidationFailed
from koyalite import jsonbody

# GoTrue wraps every request body in http.MaxBytesReader(1 << 20).
MAX_BODY_BYTES = 1 << 20

Fields = dict[str, type]

_DESCRIBED = {str: "a string", bool: "true or false", dict: "an object"}

# The PKCE pair every flow that mails a link may carry.
_PKCE: Fields = {"code_challenge": str, "code_challenge_method": str}

# GoTrue's params structs, field by field (the `json:` name and its type;
# map[string]interface{} is an object).
SIGNUP: Fields = {
    "email": str,
    "phone": str,
    "password": str,
    "data": dict,
    "channel": str,
    **_PKCE,
}
PASSWORD_GRANT: Fields = {"email": str, "phone": str, "password": str}
REFRESH_TOKEN_GRANT: Fields = {"refresh_token": str}
PKCE_GRANT: Fields = {"auth_code": str, "code_verifier": str}
ID_TOKEN_GRANT: Fields = {
    "id_token": str,
    "access_token": str,
    "nonce": str,
    "provider": str,
    "client_id": str,
    "issuer": str,
    "link_identity": bool,
}
USER_UPDATE: Fields = {
    "email": str,
    "password": str,
    "current_password": str,
    "nonce": str,
    "data": dict,
    "app_metadata": dict,
    "phone": str,
    "channel": str,
    **_PKCE,
}
VERIFY: Fields = {
    "type": str,
    "token": str,
    "token_hash": str,
    "email": str,
    "phone": str,
    "redirect_to": str,
}
RECOVER: Fields = {"email": str, **_PKCE}
OTP: Fields = {
    "email": str,
    "phone": str,
    "create_user": bool,
    "data": dict,
    "channel": str,
    **_PKCE,
}
RESEND: Fields = {
    "type": str,
    "email": str,
    "phone": str,
    **_PKCE,
}
ENROLL_FACTOR: Fields = {
    "friendly_name": str,
    "factor_type": str,
    "issuer": str,
    "phone": str,
}
VERIFY_FACTOR: Fields = {"challenge_id": str, "code": str, "webauthn": dict}
INVITE: Fields = {"email": str, "data": dict}
GENERATE_LINK: Fields = {
    "type": str,
    "email": str,
    "new_email": str,
    "password": str,
    "data": dict,
    "redirect_to": str,
}
ADMIN_USER: Fields = {
    "id": str,
    "aud": str,
    "role": str,
    "email": str,
    "phone": str,
    "password": str,
    "password_hash": str,
    "email_confirm": bool,
    "phone_confirm": bool,
    "user_metadata": dict,
    "app_metadata": dict,
    "ban_duration": str,
}
ADMIN_DELETE_USER: Fields = {"should_soft_delete": bool}
ADMIN_UPDATE_FACTOR: Fields = {"friendly_name": str, "phone": str}


def read_body(
    request: HttpRequest, fields: Fields, *, optional: bool = False
) -> dict[str, Any]:
    """The request's JSON object, reduced to `fields` of their declared types.

    With `optional`, an empty body reads as `{}`.
    """
    document = _decode(_raw_body(request), optional)
    if document is None:  # JSON null: Go leaves every field at its zero value
        return {}
    if not isinstance(document, dict):
        raise BadJson("Could not parse request body as JSON: it must be an object")
    values = {}
    for name, kind in fields.items():
        value = document.get(name)
        if value is None:
            continue
        if not isinstance(value, kind):
            raise BadJson(
                f"Could not parse request body as JSON: {name} must be "
                f"{_DESCRIBED[kind]}"
            )
        values[name] = value
    return values


def _raw_body(request: HttpRequest) -> bytes:
    too_large = RequestEntityTooLarge(
        f"Request body too large (max {MAX_BODY_BYTES} bytes)"
    )
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise too_large  # refused before a byte of it is read
    try:
        raw = request.body
    except RequestDataTooBig:
        raise too_large from None
    if len(raw) > MAX_BODY_BYTES:
        raise too_large
    return raw


def _decode(raw: bytes, optional: bool) -> object:
    if not raw.strip() and optional:
        return None
    try:
        return jsonbody.loads(raw)
    except orjson.JSONDecodeError as error:
        raise BadJson(f"Could not parse request body as JSON: {error}") from None
    except jsonbody.TooDeep as error:
        raise ValidationFailed(f"Request body is not accepted: {error}") from None
