"""The SIMULATED GitHub App side: verify an app's JWT, hand out installation tokens.

The JWT is checked the way GitHub documents it: RS256, signed with the app's private key (we
verify with its public key), ``iss`` the app id, ``exp`` in the future and at most ten minutes
after ``iat``. Times come from an injectable clock so tests can move past a token's expiry.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import jwt

MAX_JWT_SECONDS = 600
CLOCK_SKEW = 60


@dataclass(frozen=True)
class AppRegistration:
    """One simulated GitHub App installation: who may mint tokens, and for which installation."""

    app_id: str
    public_key_pem: str
    installation_id: str
    token_ttl: float = 3600.0


class JwtRejected(Exception):
    """The JWT is not acceptable; the message is GitHub's wording."""


@dataclass
class InstallationTokens:
    """Tokens issued so far and when each expires (simulator clock)."""

    app: AppRegistration
    clock: Callable[[], float] = time.time
    expiry: dict[str, float] = field(default_factory=dict)

    def verify_jwt(self, token: str) -> None:
        try:
            claims = jwt.decode(
                token,
                self.app.public_key_pem,
                algorithms=["RS256"],
                options={"verify_exp": False, "verify_iat": False, "verify_nbf": False},
            )
        except jwt.PyJWTError:
            raise JwtRejected("A JSON web token could not be decoded") from None
        now = self.clock()
        issued, expires = claims.get("iat"), claims.get("exp")
        if not isinstance(issued, int | float) or not isinstance(expires, int | float):
            raise JwtRejected("'Issued at' and 'Expiration time' claims must be numeric")
        if str(claims.get("iss")) != self.app.app_id:
            raise JwtRejected("Integration not found")
        if expires <= now or issued > now + CLOCK_SKEW:
            raise JwtRejected("'Expiration time' claim ('exp') is too far in the future or in the past")
        if expires - issued > MAX_JWT_SECONDS + CLOCK_SKEW:
            raise JwtRejected("'Expiration time' claim ('exp') is too far in the future")

    def issue(self) -> tuple[str, str]:
        """A new token and its ``expires_at`` (ISO 8601, UTC)."""
        token = f"ghs_SIMULATED{len(self.expiry) + 1:028d}"
        expires = self.clock() + self.app.token_ttl
        self.expiry[token] = expires
        stamp = datetime.fromtimestamp(int(expires), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return token, stamp

    def knows(self, token: str) -> bool:
        return token in self.expiry

    def valid(self, token: str) -> bool:
        return self.expiry.get(token, 0.0) > self.clock()
