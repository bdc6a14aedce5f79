"""The one server base: every SIMULATED upstream is a SimulatedServer with the same lifecycle."""

from __future__ import annotations

import aiohttp
import pytest

from simulators.base import SimulatedServer, SimulatedUpstream
from simulators.github import GitHubSimulator
from simulators.jira import JiraSimulator
from simulators.llm import LLMSimulator
from simulators.slack import SlackSimulator

SIMULATORS: list[type[SimulatedServer]] = [SlackSimulator, JiraSimulator, GitHubSimulator, LLMSimulator]


@pytest.mark.parametrize("kind", SIMULATORS, ids=lambda kind: kind.__name__)
async def test_every_simulator_serves_on_loopback_only_while_entered(kind: type[SimulatedServer]) -> None:
    simulator = kind()
    with pytest.raises(RuntimeError, match="not running"):
        _ = simulator.url
    async with simulator:
        assert simulator.url.startswith("http://127.0.0.1:")
        async with aiohttp.ClientSession() as session, session.get(f"{simulator.url}/nowhere") as response:
            assert response.status in (401, 404)  # answered by the simulator, not refused by the OS
    with pytest.raises(RuntimeError, match="not running"):
        _ = simulator.url


def test_the_rest_upstreams_share_recording_and_faults_on_top() -> None:
    assert issubclass(JiraSimulator, SimulatedUpstream) and issubclass(GitHubSimulator, SimulatedUpstream)
    assert all(issubclass(kind, SimulatedServer) for kind in SIMULATORS)
