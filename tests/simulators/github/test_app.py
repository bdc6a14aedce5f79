"""The SIMULATED GitHub App token endpoint: JWT verification and installation tokens."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from simulators.github import AppRegistration, GitHubSimulator

NOW = 1_800_000_000.0


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _public_pem(key: rsa.RSAPrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


@pytest.fixture(scope="module")
def app_key() -> rsa.RSAPrivateKey:
    return _key()


def _jwt(key: rsa.RSAPrivateKey, *, iss: str = "1234", iat: float = NOW - 60, exp: float = NOW + 540) -> str:
    return jwt.encode({"iat": int(iat), "exp": int(exp), "iss": iss}, key, algorithm="RS256")


async def _mint(sim: GitHubSimulator, token: str, installation: str = "42") -> httpx.Response:
    async with httpx.AsyncClient(base_url=sim.url, headers={"Authorization": f"Bearer {token}"}) as client:
        return await client.post(f"/app/installations/{installation}/access_tokens")


@pytest.fixture
def clock() -> list[float]:
    return [NOW]


@pytest.fixture
async def sim(app_key: rsa.RSAPrivateKey, clock: list[float]) -> AsyncIterator[GitHubSimulator]:
    app = AppRegistration(app_id="1234", public_key_pem=_public_pem(app_key), installation_id="42")
    async with GitHubSimulator(app=app, clock=lambda: clock[0]) as running:
        yield running


async def test_a_valid_jwt_buys_an_installation_token_that_then_works(
    sim: GitHubSimulator, app_key: rsa.RSAPrivateKey
) -> None:
    minted = await _mint(sim, _jwt(app_key))
    token = minted.json()["token"]
    async with httpx.AsyncClient(base_url=sim.url, headers={"Authorization": f"Bearer {token}"}) as client:
        issue = await client.get("/repos/acme/payments/issues/40")

    assert minted.status_code == 201
    assert minted.json()["expires_at"] == time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(NOW + 3600))
    assert issue.status_code == 200
    assert sim.installation_token_uses == [token]


@pytest.mark.parametrize(
    ("claims", "message"),
    [
        ({"iss": "9999"}, "Integration not found"),
        ({"exp": NOW - 1}, "too far in the future or in the past"),
        ({"iat": NOW - 60, "exp": NOW + 1200}, "too far in the future"),
    ],
)
async def test_bad_claims_are_401(
    sim: GitHubSimulator, app_key: rsa.RSAPrivateKey, claims: dict[str, object], message: str
) -> None:
    response = await _mint(sim, _jwt(app_key, **claims))  # type: ignore[arg-type]

    assert response.status_code == 401
    assert message in response.json()["message"]


async def test_a_jwt_signed_by_another_key_is_refused(sim: GitHubSimulator) -> None:
    response = await _mint(sim, _jwt(_key()))

    assert (response.status_code, response.json()["message"]) == (
        401,
        "A JSON web token could not be decoded",
    )


async def test_an_unknown_installation_is_404(sim: GitHubSimulator, app_key: rsa.RSAPrivateKey) -> None:
    assert (await _mint(sim, _jwt(app_key), installation="7")).status_code == 404


async def test_installation_tokens_expire(
    sim: GitHubSimulator, app_key: rsa.RSAPrivateKey, clock: list[float]
) -> None:
    token = (await _mint(sim, _jwt(app_key))).json()["token"]
    clock[0] += 3601
    async with httpx.AsyncClient(base_url=sim.url, headers={"Authorization": f"Bearer {token}"}) as client:
        response = await client.get("/user")

    assert (response.status_code, response.json()["message"]) == (401, "Bad credentials")


async def test_with_an_app_other_tokens_are_refused(sim: GitHubSimulator) -> None:
    async with httpx.AsyncClient(base_url=sim.url, headers={"Authorization": "Bearer ghp_other"}) as client:
        assert (await client.get("/user")).status_code == 401
