"""GitHubClient as a GitHub App installation: JWT, token minting, caching and refresh."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from integrations.github import GitHubClient
from integrations.github.app_auth import REFRESH_MARGIN
from simulators.github import AppRegistration, GitHubSimulator
from tests.integrations.conftest import SleepRecorder

APP_ID = "1234"
INSTALLATION = "42"
START = 1_800_000_000.0
APP_TOKEN = "/app/installations/42/access_tokens"


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


def private_pem(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


@pytest.fixture(scope="module")
def app_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)  # throwaway, for these tests


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def app_sim(app_key: rsa.RSAPrivateKey, clock: Clock) -> AsyncIterator[GitHubSimulator]:
    public = app_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    registration = AppRegistration(
        app_id=APP_ID, public_key_pem=public.decode(), installation_id=INSTALLATION
    )
    async with GitHubSimulator(app=registration, clock=clock) as sim:
        yield sim


def app_client(sim: GitHubSimulator, key: str, clock: Clock, sleeps: SleepRecorder) -> GitHubClient:
    return GitHubClient.create_for_app(
        sim.url, app_id=APP_ID, private_key=key, installation_id=INSTALLATION, clock=clock, sleep=sleeps
    )


def mints(sim: GitHubSimulator) -> int:
    return len(sim.requests_to(APP_TOKEN))


async def test_the_installation_token_is_minted_once_and_reused(
    app_sim: GitHubSimulator, app_key: rsa.RSAPrivateKey, clock: Clock, sleeps: SleepRecorder
) -> None:
    async with app_client(app_sim, private_pem(app_key), clock, sleeps) as github:
        issue = await github.get_issue("acme/payments", 40)
        pull = await github.get_pull_request("acme/payments", 42)

    assert (issue.number, pull.number) == (40, 42)
    assert mints(app_sim) == 1
    (mint,) = app_sim.requests_to(APP_TOKEN)
    assert mint.method == "POST" and mint.auth_scheme == "Bearer"
    assert mint.headers["X-GitHub-Api-Version"] == "2022-11-28"
    assert set(app_sim.installation_token_uses) == {"ghs_SIMULATED" + "1".zfill(28)}
    assert len(app_sim.installation_token_uses) == 6  # issue + pull, reviews, files, checks, status


async def test_the_key_may_be_a_path_to_a_pem_file(
    app_sim: GitHubSimulator, app_key: rsa.RSAPrivateKey, clock: Clock, sleeps: SleepRecorder, tmp_path: Path
) -> None:
    pem = tmp_path / "app.pem"
    pem.write_text(private_pem(app_key))

    async with app_client(app_sim, str(pem), clock, sleeps) as github:
        assert await github.viewer() == "GitHub App installation 42"

    assert mints(app_sim) == 1


async def test_the_token_is_refreshed_shortly_before_it_expires(
    app_sim: GitHubSimulator, app_key: rsa.RSAPrivateKey, clock: Clock, sleeps: SleepRecorder
) -> None:
    async with app_client(app_sim, private_pem(app_key), clock, sleeps) as github:
        await github.get_issue("acme/payments", 40)
        clock.now = START + 3600 - REFRESH_MARGIN - 1  # still comfortably valid
        await github.get_issue("acme/payments", 40)
        assert mints(app_sim) == 1
        clock.now = START + 3600 - REFRESH_MARGIN + 1  # inside the margin: refresh first
        await github.get_issue("acme/payments", 40)

    assert mints(app_sim) == 2
    first, second = sorted(set(app_sim.installation_token_uses))
    assert app_sim.installation_token_uses == [first, first, second]


async def test_a_token_refused_early_is_replaced_once(
    app_sim: GitHubSimulator, app_key: rsa.RSAPrivateKey, clock: Clock, sleeps: SleepRecorder
) -> None:
    async with app_client(app_sim, private_pem(app_key), clock, sleeps) as github:
        await github.get_issue("acme/payments", 40)
        assert app_sim.installations is not None
        for token in app_sim.installations.expiry:
            app_sim.installations.expiry[token] = 0.0  # revoked on GitHub's side
        issue = await github.get_issue("acme/payments", 40)

    assert issue.number == 40
    assert mints(app_sim) == 2


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("/nonexistent/app.pem", "neither PEM text nor a readable PEM file"),
        (
            "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n",
            "not a PEM-encoded private key",
        ),
    ],
)
def test_an_unusable_key_is_refused_without_repeating_it(value: str, message: str) -> None:
    with pytest.raises(ValueError, match=message) as caught:
        GitHubClient.create_for_app(
            "http://127.0.0.1:9", app_id=APP_ID, private_key=value, installation_id="1"
        )

    assert value not in str(caught.value) and "bm90IGEga2V5" not in str(caught.value)


def test_the_key_must_be_rsa() -> None:
    pem = private_pem(ec.generate_private_key(ec.SECP256R1()))

    with pytest.raises(ValueError, match="RSA"):
        GitHubClient.create_for_app("http://127.0.0.1:9", app_id=APP_ID, private_key=pem, installation_id="1")


async def test_neither_jwt_nor_token_reaches_the_logs(
    app_sim: GitHubSimulator,
    app_key: rsa.RSAPrivateKey,
    clock: Clock,
    sleeps: SleepRecorder,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    async with app_client(app_sim, private_pem(app_key), clock, sleeps) as github:
        await github.get_issue("acme/payments", 40)

    assert app_sim.installations is not None
    (token,) = app_sim.installations.expiry
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert any("access_tokens" in record.getMessage() for record in caplog.records)  # the mint was logged
    assert token not in text and "eyJ" not in text  # no token, no JWT (base64 JSON header)
