"""SIMULATED Jira (Cloud REST v3 or Data Center v2) on loopback, with the packaged demo issues.

Reads (issues, JQL search, transitions, projects) and writes (create, comment, transition,
assign) speak Jira's wire format; ``jql`` parses the JQL subset the simulator answers, and
``jql_writer`` writes JQL from plain English by rules (the simulated LLM's translator).
Nothing here talks to a real Jira.

May import: ``simulators.base`` and the standard library; never ``bot``.
"""

from simulators.jira import jql
from simulators.jira.jql import JqlError
from simulators.jira.jql_writer import Draft, Person, draft_for, simulated_people, write_jql
from simulators.jira.simulator import JiraSimulator, load_seed
from simulators.jira.writes import WriteRefused, adf_problems

__all__ = [
    "Draft",
    "JiraSimulator",
    "JqlError",
    "Person",
    "WriteRefused",
    "adf_problems",
    "draft_for",
    "jql",
    "load_seed",
    "simulated_people",
    "write_jql",
]
