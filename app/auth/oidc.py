"""The OpenID Connect client (authlib): authorization code flow with PKCE, state and nonce.

authlib checks the ID token's signature, issuer, audience and nonce; s11 only maps the
verified claims to a person, in auth.service.
"""

from __future__ import annotations

from authlib.integrations.starlette_client import OAuth

from app.config import Settings


def make_oauth(settings: Settings) -> OAuth | None:
    if not (settings.oidc_issuer and settings.oidc_client_id):
        return None
    oauth = OAuth()
    oauth.register(
        name="oidc",
        server_metadata_url=settings.oidc_issuer.rstrip("/") + "/.well-known/openid-configuration",
        client_id=settings.oidc_client_id,
        client_secret=(
            settings.oidc_client_secret.get_secret_value() if settings.oidc_client_secret else None
        ),
        client_kwargs={"scope": "openid email profile", "code_challenge_method": "S256"},
    )
    return oauth
