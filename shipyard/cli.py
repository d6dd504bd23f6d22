"""`python -m shipyard <command>`: offline views of what `pulumi up` would do.

Exit codes: 0 success, 1 a difference was found (diff), 2 invalid config or usage.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Callable

from shipyard import engine, plan as plan_view
from shipyard.config import ConfigError

Command = Callable[[argparse.Namespace], int]


def _plan(args: argparse.Namespace) -> int:
    result = engine.run(args.stack, root=args.project)
    print(plan_view.to_json(result) if args.json else plan_view.to_text(result))
    return 0


def _docs(args: argparse.Namespace) -> int:
    from shipyard import docs
    if args.check:
        stale = docs.readme_is_stale()
        print("README config table is stale: run `python -m shipyard docs --write`"
              if stale else "README config table is current")
        return 1 if stale else 0
    if args.write:
        docs.write_readme()
    else:
        print(docs.config_table())
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m shipyard", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    plan = commands.add_parser("plan", help="show what `pulumi up` would create for a stack")
    plan.add_argument("stack", help="stack name (reads Pulumi.<stack>.yaml)")
    plan.add_argument("--json", action="store_true", help="print the plan as JSON")
    plan.add_argument("-C", "--project", type=Path, default=engine.PROJECT_ROOT,
                      help="Pulumi project directory (default: this checkout)")
    plan.set_defaults(run=_plan)

    docs = commands.add_parser("docs", help="print the config reference table from the schema")
    mode = docs.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true", help="update the table in README.md")
    mode.add_argument("--check", action="store_true", help="exit 1 if README.md is stale")
    docs.set_defaults(run=_docs)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except ConfigError as error:
        print(f"{args.stack if hasattr(args, 'stack') else 'stack'}: invalid stack config",
              file=sys.stderr)
        for problem in error.problems:
            print(f"  {problem}", file=sys.stderr)
        return 2
    except FileNotFoundError as error:
        print(error, file=sys.stderr)
        return 2
