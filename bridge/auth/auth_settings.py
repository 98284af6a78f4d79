"""How requests are authenticated: `AuthSettings`, read from the `AUTH_*` variables."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field

import jwt

_PROCESS_SECRET = secrets.token_bytes(32)
_JWKS_ALGORITHMS = ("EdDSA", "ES256", "RS256")
_SECRET_ALGORITHMS = ("HS256",)


@dataclass(frozen=True)
class AuthSettings:
    """How requests are authenticated; `AuthSettings.from_env()` reads the `AUTH_*` variables.

    `session_secret` signs bridge session tokens. Unset (`AUTH_SESSION_SECRET` empty) it is
    32 random bytes made once per process: tokens then die with a restart and are not shared
    between workers, so set it when running more than one process.
    """

    jwks_url: str | None = None
    jwt_secret: str | None = field(default=None, repr=False)
    issuer: str | None = None
    audience: str | None = None
    algorithms: tuple[str, ...] = ()  # empty: the defaults for the configured mode
    user_claim: str = "sub"
    leeway_seconds: int = 30
    session_secret: bytes = field(default=_PROCESS_SECRET, repr=False)
    session_ttl_seconds: int = 900
    session_max_age_seconds: int = 86_400

    def __post_init__(self) -> None:
        if not self.algorithms:
            defaults = (_JWKS_ALGORITHMS if self.jwks_url else ()) + (
                _SECRET_ALGORITHMS if self.jwt_secret else ()
            )
            object.__setattr__(self, "algorithms", defaults)
        self.validate()

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> AuthSettings:
        """Read the `AUTH_*` variables from `environ` (default: the process environment)."""
        env = os.environ if environ is None else environ

        def get(name: str) -> str | None:
            value = env.get(name, "").strip()
            return value or None

        def whole(name: str, default: int) -> int:
            raw = get(name)
            if raw is None:
                return default
            try:
                return int(raw)
            except ValueError:
                raise ValueError(f"{name} must be a whole number, got {raw!r}") from None

        session_secret = get("AUTH_SESSION_SECRET")
        return cls(
            jwks_url=get("AUTH_JWKS_URL"),
            jwt_secret=get("AUTH_JWT_SECRET"),
            issuer=get("AUTH_ISSUER"),
            audience=get("AUTH_AUDIENCE"),
            algorithms=tuple(
                a.strip() for a in (get("AUTH_ALGORITHMS") or "").split(",") if a.strip()
            ),
            user_claim=get("AUTH_USER_CLAIM") or "sub",
            leeway_seconds=whole("AUTH_LEEWAY_SECONDS", 30),
            session_secret=session_secret.encode() if session_secret else _PROCESS_SECRET,
            session_ttl_seconds=whole("AUTH_SESSION_TTL_SECONDS", 900),
            session_max_age_seconds=whole("AUTH_SESSION_MAX_AGE_SECONDS", 86_400),
        )

    def validate(self) -> None:
        """Refuse settings that cannot work or are unsafe, naming the variable."""
        known = set(jwt.algorithms.get_default_algorithms()) - {"none"}
        for alg in self.algorithms:
            if alg not in known:
                raise ValueError(f"AUTH_ALGORITHMS: {alg!r} is not one of {sorted(known)}")
            if alg.startswith("HS") and not self.jwt_secret:
                raise ValueError(f"AUTH_ALGORITHMS: {alg} needs AUTH_JWT_SECRET")
            if not alg.startswith("HS") and not self.jwks_url:
                raise ValueError(f"AUTH_ALGORITHMS: {alg} needs AUTH_JWKS_URL")
        # RFC 7518 3.2: an HMAC key shorter than the hash is guessable offline.
        if self.jwt_secret is not None and len(self.jwt_secret.encode()) < 32:
            raise ValueError("AUTH_JWT_SECRET must be at least 32 bytes")
        if len(self.session_secret) < 32:
            raise ValueError("AUTH_SESSION_SECRET must be at least 32 bytes")
        if self.leeway_seconds < 0 or self.session_ttl_seconds < 1:
            raise ValueError("AUTH_LEEWAY_SECONDS must be >= 0, AUTH_SESSION_TTL_SECONDS >= 1")

    @property
    def enabled(self) -> bool:
        """Whether requests must carry a token."""
        return bool(self.jwks_url or self.jwt_secret)
