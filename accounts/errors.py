"""Errors of API keys and access tokens, as PostgREST reports them."""

from __future__ import annotations

from koyalite.errors import KoyaError


class MissingApiKey(KoyaError):
    status = 401
    code = "PGRST302"

    def __init__(self) -> None:
        super().__init__(
            "No API key found in request",
            hint="No `apikey` request header was found.",
        )
        self.headers = {"WWW-Authenticate": "Bearer"}


class InvalidApiKey(KoyaError):
    status = 401
    code = "PGRST301"

    def __init__(self) -> None:
        super().__init__("Invalid API key", hint="Double check your `apikey` header.")
        self.headers = {"WWW-Authenticate": "Bearer"}


class InvalidToken(KoyaError):
    """The Bearer token is not a JWT this project signed, or is unusable."""

    status = 401
    code = "PGRST301"

    def __init__(self, reason: str, *, code: str = "PGRST301") -> None:
        super().__init__(reason)
        self.code = code
        description = reason.replace('"', "'")
        self.headers = {
            "WWW-Authenticate": f'Bearer error="invalid_token", error_description="{description}"'
        }


# ---------------------------------------------------------------- GoTrue (/auth/v1)


class AuthApiError(KoyaError):
    """An /auth/v1 error; `error_code` is GoTrue's string code."""

    status = 400
    error_code = "unexpected_failure"
    default_message = "Unexpected failure"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.default_message)
        self.code = self.error_code


def _auth_error(name: str, status: int, code: str, message: str) -> type[AuthApiError]:
    return type(
        name,
        (AuthApiError,),
        {"status": status, "error_code": code, "default_message": message},
    )


UnexpectedFailure = _auth_error(
    "UnexpectedFailure",
    500,
    "unexpected_failure",
    "Unexpected failure, please check server logs for more information",
)
ValidationFailed = _auth_error(
    "ValidationFailed", 400, "validation_failed", "Invalid request"
)
BadJson = _auth_error(
    "BadJson", 400, "bad_json", "Could not parse request body as JSON"
)
RequestEntityTooLarge = _auth_error(
    "RequestEntityTooLarge", 413, "request_entity_too_large", "Request body too large"
)
InvalidCredentials = _auth_error(
    "InvalidCredentials", 400, "invalid_credentials", "Invalid login credentials"
)
EmailNotConfirmed = _auth_error(
    "EmailNotConfirmed", 400, "email_not_confirmed", "Email not confirmed"
)
UserAlreadyExists = _auth_error(
    "UserAlreadyExists", 422, "user_already_exists", "User already registered"
)
EmailExists = _auth_error(
    "EmailExists",
    422,
    "email_exists",
    "A user with this email address has already been registered",
)
SignupDisabled = _auth_error(
    "SignupDisabled", 422, "signup_disabled", "Signups not allowed for this instance"
)
AnonymousDisabled = _auth_error(
    "AnonymousDisabled",
    422,
    "anonymous_provider_disabled",
    "Anonymous sign-ins are disabled",
)
RefreshTokenNotFound = _auth_error(
    "RefreshTokenNotFound",
    400,
    "refresh_token_not_found",
    "Invalid Refresh Token: Refresh Token Not Found",
)
RefreshTokenAlreadyUsed = _auth_error(
    "RefreshTokenAlreadyUsed",
    400,
    "refresh_token_already_used",
    "Invalid Refresh Token: Already Used",
)
UserBanned = _auth_error("UserBanned", 400, "user_banned", "User is banned")
NoAuthorization = _auth_error(
    "NoAuthorization",
    401,
    "no_authorization",
    "This endpoint requires a valid Bearer token",
)
BadJwt = _auth_error("BadJwt", 403, "bad_jwt", "invalid JWT")
SessionNotFound = _auth_error(
    "SessionNotFound",
    403,
    "session_not_found",
    "Session from session_id claim in JWT does not exist",
)
UserNotFound = _auth_error("UserNotFound", 404, "user_not_found", "User not found")
NotAdmin = _auth_error("NotAdmin", 403, "not_admin", "User not allowed")
OtpExpired = _auth_error(
    "OtpExpired", 403, "otp_expired", "Email link is invalid or has expired"
)
NotFound = _auth_error("NotFound", 404, "not_found", "Not found")
OverEmailSendRateLimit = _auth_error(
    "OverEmailSendRateLimit",
    429,
    "over_email_send_rate_limit",
    "Email rate limit exceeded",
)
OverRequestRateLimit = _auth_error(
    "OverRequestRateLimit", 429, "over_request_rate_limit", "Request rate limit reached"
)


class WeakPassword(AuthApiError):
    status = 422
    error_code = "weak_password"

    def __init__(self, reasons: list[str], message: str) -> None:
        super().__init__(message)
        self.reasons = reasons


OtpDisabled = _auth_error(
    "OtpDisabled", 422, "otp_disabled", "Signups not allowed for otp"
)


# Admin API (/auth/v1/admin/users).
InvalidUserId = _auth_error(
    "InvalidUserId", 404, "validation_failed", "user_id must be an UUID"
)
PhoneExists = _auth_error(
    "PhoneExists",
    422,
    "phone_exists",
    "Phone number already registered by another user",
)
UserReferenced = _auth_error(
    "UserReferenced",
    409,
    "conflict",
    "Database error deleting user: rows of other tables reference this user "
    "without `on delete cascade`",
)
FlowStateNotFound = _auth_error(
    "FlowStateNotFound",
    404,
    "flow_state_not_found",
    "invalid flow state, no valid flow state found",
)

MfaVerificationFailed = _auth_error(
    "MfaVerificationFailed", 422, "mfa_verification_failed", "Invalid TOTP code entered"
)
MfaChallengeExpired = _auth_error(
    "MfaChallengeExpired",
    422,
    "mfa_challenge_expired",
    "MFA challenge has expired, verify against another challenge or create a new challenge.",
)
MfaFactorNotFound = _auth_error(
    "MfaFactorNotFound", 404, "mfa_factor_not_found", "Factor not found"
)
InsufficientAal = _auth_error(
    "InsufficientAal",
    403,
    "insufficient_aal",
    "AAL2 required to unenroll verified factor",
)
TooManyEnrolledFactors = _auth_error(
    "TooManyEnrolledFactors",
    422,
    "too_many_enrolled_mfa_factors",
    "Maximum number of verified factors reached, unenroll to continue",
)
ReauthenticationNotValid = _auth_error(
    "ReauthenticationNotValid",
    422,
    "reauthentication_not_valid",
    "Verification code is invalid or has expired",
)
ManualLinkingDisabled = _auth_error(
    "ManualLinkingDisabled",
    404,
    "manual_linking_disabled",
    "Manual linking is disabled",
)
IdentityAlreadyExists = _auth_error(
    "IdentityAlreadyExists",
    422,
    "identity_already_exists",
    "Identity is already linked to another user",
)
IdentityNotFound = _auth_error(
    "IdentityNotFound", 422, "identity_not_found", "Identity doesn't exist"
)
SingleIdentityNotDeletable = _auth_error(
    "SingleIdentityNotDeletable",
    422,
    "single_identity_not_deletable",
    "User must have at least 1 identity after unlinking",
)
EmailConflictIdentityNotDeletable = _auth_error(
    "EmailConflictIdentityNotDeletable",
    422,
    "email_conflict_identity_not_deletable",
    "Unable to unlink identity due to email conflict",
)
IdentityIdInvalid = _auth_error(
    "IdentityIdInvalid", 404, "validation_failed", "identity_id must be an UUID"
)
# KoyaLite has no SMS sending: phone sign-in answers as a GoTrue with the
# phone provider off does.
PhoneProviderDisabled = _auth_error(
    "PhoneProviderDisabled", 400, "phone_provider_disabled", "Phone logins are disabled"
)
PhoneLoginsDisabled = _auth_error(
    "PhoneLoginsDisabled", 422, "phone_provider_disabled", "Phone logins are disabled"
)
SamlDisabled = _auth_error(
    "SamlDisabled", 404, "saml_provider_disabled", "SAML 2.0 is disabled"
)
