"""Who is asking: bearer JWTs (JWKS or shared secret), bridge session tokens, or one local user.

Modes, picked by `make_authenticator` from `AuthSettings.from_env()`:

- `AUTH_JWKS_URL` (e.g. Better Auth's `/api/auth/jwks`) and/or `AUTH_JWT_SECRET` (HS256):
  every request needs `Authorization: Bearer <jwt>`; `JWTAuthenticator` verifies it.
- neither: `LocalAuthenticator`, everyone is the user `local` (refused off loopback, see
  `check_bind`).

The widget's requests are made by the host page, so the page's own auth header reaches us
(widget-facts.md, Transport). Pages that prefer a short-lived bridge token exchange theirs at
`POST /chatkit/session` and renew it at `POST /chatkit/session/refresh`.
"""

from .auth_settings import AuthSettings
from .bearer import Authenticator, Endpoint, Principal, bearer_token
from .jwks import JWTAuthenticator
from .local_mode import (
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
    session_refresh_endpoint,
    verify_session_token,
)

__all__ = [
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
    "session_refresh_endpoint",
    "verify_session_token",
]
