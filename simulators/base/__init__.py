"""The one server base every SIMULATED upstream builds on.

``SimulatedServer`` owns an aiohttp app and serves it on loopback for an ``async with``;
``SimulatedUpstream`` adds what the REST upstreams (Jira, GitHub) share: request recording,
scripted faults, authentication, a list of accepted writes. ``LocalServer`` runs any aiohttp app
(tests use it for one-off fake servers).

May import: aiohttp and the standard library; never ``bot`` nor another simulator package.
"""

from simulators.base.server import LocalServer, SimulatedServer
from simulators.base.upstream import RecordedRequest, RecordedWrite, SimulatedUpstream, Span

__all__ = [
    "LocalServer",
    "RecordedRequest",
    "RecordedWrite",
    "SimulatedServer",
    "SimulatedUpstream",
    "Span",
]
