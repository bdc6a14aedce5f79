"""SIMULATED api.github.com on loopback, with the packaged demo repositories.

Pulls, issues, checks, statuses, Actions runs and logs, search, a few writes, primary and
secondary rate limits, and GitHub App authentication (``app``: JWTs and installation tokens).
Nothing here talks to GitHub.

May import: ``simulators.base``, PyJWT and the standard library; never ``bot``.
"""

from simulators.github.app import AppRegistration, InstallationTokens, JwtRejected
from simulators.github.simulator import GitHubSimulator, load_seed
from simulators.github.writes import WriteRefused

__all__ = [
    "AppRegistration",
    "GitHubSimulator",
    "InstallationTokens",
    "JwtRejected",
    "WriteRefused",
    "load_seed",
]
