"""SIMULATED upstreams: local fake servers for Slack, Jira, GitHub, an OpenAI-compatible LLM and MCP.

They speak the real wire protocols on 127.0.0.1 so the real clients run against them. The
test suite uses them as fakes; `chatops demo` uses them so a newcomer needs no credentials.
Nothing here talks to a real service.

One package per upstream (``slack``, ``jira``, ``github``, ``llm``), each a ``SimulatedServer``
from ``base``, and ``mcp`` (the MCP SDK's own server under uvicorn: the protocol is the SDK's);
the demo data is in ``data/``. Simulators never import ``bot``.
"""
