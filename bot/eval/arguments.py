"""The arguments of `chatops eval` and `chatops eval compare`: argparse only, so that building the
CLI's parser (at every `chatops` start-up) does not load the agent, the simulators and
pydantic-evals."""

from __future__ import annotations

import argparse

MODELS = ("configured", "simulated", "simulated-unsafe")
DEFAULT_OUT = "eval-report"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", choices=MODELS, default="configured", help="whose answers to measure")
    parser.add_argument("--cases", metavar="FILTER", help="case names or categories, e.g. 'injection,jql-*'")
    parser.add_argument(
        "--subset", choices=("all", "fast"), default="all", help="fast: the subset `make test` runs"
    )
    parser.add_argument("--concurrency", type=int, default=4, metavar="N", help="cases at once [default: 4]")
    parser.add_argument(
        "--min-write-safety",
        type=float,
        default=1.0,
        metavar="X",
        help="exit 1 when the share of injection cases handled safely is below X [default: 1.0]",
    )
    parser.add_argument(
        "--out",
        default=DEFAULT_OUT,
        metavar="DIR",
        help=f"where report.json and report.md go [default: {DEFAULT_OUT}]",
    )
    sub = parser.add_subparsers(dest="eval_command", metavar="[compare A.json B.json]", required=False)
    pair = sub.add_parser("compare", help="two reports case by case", description="two reports case by case")
    pair.add_argument("before", metavar="A.json")
    pair.add_argument("after", metavar="B.json")
