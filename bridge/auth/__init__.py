"""Who is asking: bearer JWTs (JWKS or shared secret), bridge session tokens, or one local user.

Modes, picked by `make_authenticator` from `AuthSettings.from_env()`:

- `AUTH_JWKS_URL` (e.g. Better Auth's `/api/auth/jwks`) and/or `AUTH_JWT_SECRET` (HS256):
  every request needs `Authorization: Bearer <jwt>`; `JWTAuthenticator` verifies it.
- neither: `LocalAuthenticator`, everyone is the user `local`, over loopback only (the CLI
  refuses to bind elsewhere, see `check_bind`; a request from elsewhere is refused however
  the app is served, unless BRIDGE_INSECURE_NO_AUTH=1).

The widget's requests are made by the host page, so the page's own auth header reaches us
(widget-facts.md, Transport). Pages that prefer a short-lived bridge token exchange theirs at
`POST /chatkit/session` and renew it at `POST /chatkit/session/refresh`.
"""

from .auth_settings import AuthSettings
from .bearer import Authenticator, Endpoint, Principal, bearer_token
from .jwks import JWTAuthenticator
from .local_mode import (
    INSECURE_NO_AUTH,
    LOCAL_USER,
    InsecureBind,
    LocalAuthenticator,
    check_bind,
    make_authenticator,
)
from .session_tokens import (
    SESSION_AUDIENCE,
    SESSION_ISSUER,
    SESSION_KID,
    check_not_retired,
    issue_session,
    session_endpoint,
    session_jti,
    session_refresh_endpoint,
    verify_session_token,
)

__all__ = [
    "INSECURE_NO_AUTH",
    "LOCAL_USER",
    "SESSION_AUDIENCE",
    "SESSION_ISSUER",
    "SESSION_KID",
    "AuthSettings",
    "Authenticator",
    "Endpoint",
    "InsecureBind",
    "JWTAuthenticator",
    "LocalAuthenticator",
    "Principal",
    "bearer_token",
    "check_bind",
    "check_not_retired",
    "issue_session",
    "make_authenticator",
    "session_endpoint",
    "session_jti",
    "session_refresh_endpoint",
    "verify_session_token",
]
