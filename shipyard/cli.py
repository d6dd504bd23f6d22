"""`python -m shipyard <command>`: offline views of what `pulumi up` would do.

Exit codes: 0 success, 1 a difference was found (diff) or a control failed (check), 2 invalid
config or usage.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path
from typing import Callable

from shipyard import shipped_stacks
from shipyard.config import ConfigError
from shipyard.review import engine
from shipyard.review import plan as plan_view

Command = Callable[[argparse.Namespace], int]


class UsageError(Exception):
    """A command line that cannot be carried out (exit code 2)."""


def _run(args: argparse.Namespace) -> engine.Plan:
    return engine.run(args.stack, root=args.project, stack_file=args.stack_file)


def _where_to_run(args: argparse.Namespace) -> str:
    from shipyard.aws import reachability
    from shipyard.config.rules import platform_notes
    config = engine.stack_settings(args.stack, args.project, args.stack_file)
    return "\n".join([*reachability.describe(config),
                      *(f"Note: {note}" for note in platform_notes(config))])


def _plan(args: argparse.Namespace) -> int:
    result = _run(args)
    if args.json:
        print(plan_view.to_json(result))
        return 0
    config = engine.stack_settings(args.stack, args.project, args.stack_file)
    notes = plan_view.notes(result, config)
    print(plan_view.to_text(result) + ("\n" + notes if notes else "") + "\n" + _where_to_run(args))
    return 0


def _diff(args: argparse.Namespace) -> int:
    from shipyard.review import diff
    if args.base:
        if args.other or args.other_stack_file:
            raise UsageError("give either a second stack or --base, not both")
        engine.stack_file_path(args.stack, args.project, args.stack_file)  # exists now, at least
        try:
            first = diff.plan_document_at(args.base, args.stack, args.project, args.stack_file)
        except ValueError as error:
            raise UsageError(str(error)) from None
        second = diff.plan_document(args.stack, args.project, args.stack_file)
        labels = (f"{args.stack}@{args.base}", f"{args.stack} (working tree)")
    else:
        if not args.other:
            raise UsageError("diff needs a second stack, or --base <git-ref>")
        first = diff.plan_document(args.stack, args.project, args.stack_file)
        second = diff.plan_document(args.other, args.project, args.other_stack_file)
        labels = (args.stack, args.other)
    changes = diff.compare(first, second)
    print(diff.render(changes, *labels))
    return 1 if changes else 0


def _check(args: argparse.Namespace) -> int:
    from shipyard.review import check
    review = check.run(args.stack, root=args.project, stack_file=args.stack_file)
    print(check.to_json(args.stack, review) if args.json
          else _where_to_run(args) + "\n" + check.render(args.stack, review))
    return 1 if check.failed(review) else 0


def _cost(args: argparse.Namespace) -> int:
    from shipyard.review import cost
    estimate = cost.estimate(_run(args),
                             config=engine.stack_settings(args.stack, args.project, args.stack_file))
    print(cost.to_json(estimate) if args.json else cost.render(estimate))
    return 0


def _graph(args: argparse.Namespace) -> int:
    from shipyard.review import graph
    source = graph.to_dot(_run(args), args.view)
    if args.format == "dot":
        output = source.encode()
    else:
        output = graph.render(source, args.format)
    if args.output:
        args.output.write_bytes(output)
        print(f"wrote {args.output}")
    else:
        sys.stdout.buffer.write(output)
    return 0


def _docs(args: argparse.Namespace) -> int:
    from shipyard.review import docs
    if args.check:
        stale = docs.stale_pages(args.project)
        print(f"generated docs are stale ({', '.join(stale)}): run `python -m shipyard docs "
              f"--write`" if stale else "generated docs are current")
        return 1 if stale else 0
    if args.write:
        docs.write_pages(args.project)
    else:
        print(docs.config_table())
    return 0


def _stacks(args: argparse.Namespace) -> int:
    from shipyard.review import ci
    stacks = shipped_stacks(args.project)
    if args.changed_since:
        changed = ci.changed_since(args.changed_since, args.project)
        stacks = stacks if changed is None else ci.touched_stacks(changed, stacks)
    print(json.dumps(stacks))
    return 0


def _runners(args: argparse.Namespace) -> int:
    print(json.dumps({stack: engine.stack_settings(stack, args.project).deploy.runs_on
                      for stack in shipped_stacks(args.project)}, sort_keys=True))
    return 0


def _refresh_first(args: argparse.Namespace) -> int:
    from shipyard.review import ci
    print(str(ci.refresh_first(engine.stack_settings(args.stack, args.project))).lower())
    return 0


def _ci_policy(args: argparse.Namespace) -> int:
    from shipyard.aws import iam
    from shipyard.review import ci_policy
    if not re.fullmatch(r"\d{12}", args.account):
        raise UsageError(f"--account must be a 12-digit AWS account id, not {args.account!r}")
    if args.kind in ("preview", "deploy"):
        if not args.stacks:
            raise UsageError(f"ci-policy {args.kind} needs the stack(s) whose plans it covers, "
                             f"e.g. `ci-policy {args.kind} prod --account {args.account}`")
        if args.stack_file and len(args.stacks) > 1:
            raise UsageError("--stack-file reads one stack: give one stack with it")
        document = {}
        for stack in args.stacks:
            plan = engine.run(stack, root=args.project, stack_file=args.stack_file)
            try:
                document.update(ci_policy.policies(plan, args.kind, args.account))
            except ci_policy.UnknownType as error:
                raise UsageError(f"{stack}: {error}") from None
    elif args.stacks:
        raise UsageError(f"ci-policy {args.kind} takes no stack (preview and deploy do)")
    elif args.kind == "trust":
        if not args.repository:
            raise UsageError("trust needs --repository owner/name: the GitHub repository whose "
                             "workflows assume the role, e.g. --repository acme/shop")
        if not (args.environment or args.branch or args.pull_requests):
            raise UsageError("trust needs --environment (deploy roles), --branch, or "
                             "--pull-requests (previews)")
        try:
            document = iam.github_actions_trust(args.account, args.repository,
                                                environments=args.environment,
                                                branches=args.branch,
                                                pull_requests=args.pull_requests)
        except ValueError as error:
            raise UsageError(str(error)) from None
    else:
        if not args.ecr_repository:
            raise UsageError("ecr-push needs --ecr-repository (one or more)")
        document = iam.ecr_build_push(
            f"arn:aws:ecr:{args.region}:{args.account}:repository/{name}" for name in args.ecr_repository)
    print(json.dumps(document, indent=2, sort_keys=True))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m shipyard", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    # Every command takes -C; those that read one stack's config take --stack-file.
    project = argparse.ArgumentParser(add_help=False)
    project.add_argument("-C", "--project", type=Path, default=engine.PROJECT_ROOT, metavar="DIR",
                         help="Pulumi project directory: its Pulumi.yaml and Pulumi.<stack>.yaml "
                              "(default: this checkout)")
    stack_file = argparse.ArgumentParser(add_help=False, parents=[project])
    stack_file.add_argument("--stack-file", type=Path, metavar="FILE",
                            help="read the stack's config from FILE instead of Pulumi.<stack>.yaml "
                                 "(e.g. an example under examples/)")

    plan = commands.add_parser("plan", parents=[stack_file],
                               help="show what `pulumi up` would create for a stack")
    plan.add_argument("stack", help="stack name (reads Pulumi.<stack>.yaml)")
    plan.add_argument("--json", action="store_true", help="print the plan as JSON")
    plan.set_defaults(run=_plan)

    diff = commands.add_parser(
        "diff", parents=[stack_file],
        help="desired-state differences between two stacks, or a stack and a git ref")
    diff.add_argument("stack")
    diff.add_argument("other", nargs="?", help="the stack to compare with")
    diff.add_argument("--base", metavar="GIT_REF",
                      help="compare the working tree's plan of STACK with its plan at GIT_REF "
                           "(with --stack-file: that file as it is at GIT_REF)")
    diff.add_argument("--other-stack-file", type=Path, metavar="FILE",
                      help="read OTHER's config from FILE instead of Pulumi.<other>.yaml")
    diff.set_defaults(run=_diff)

    check = commands.add_parser(
        "check", parents=[stack_file],
        help="security controls (AWS FSBP, Pod Security Standards) over a stack's plan")
    check.add_argument("stack")
    check.add_argument("--json", action="store_true", help="print the results as JSON")
    check.set_defaults(run=_check)

    cost = commands.add_parser("cost", parents=[stack_file],
                               help="estimated monthly cost of a stack, line by line")
    cost.add_argument("stack")
    cost.add_argument("--json", action="store_true", help="print the estimate as JSON")
    cost.set_defaults(run=_cost)

    graph = commands.add_parser("graph", parents=[stack_file],
                                help="the architecture as a Graphviz picture")
    graph.add_argument("stack")
    graph.add_argument("--format", choices=["dot", "svg", "png"], default="dot")
    graph.add_argument("--view", choices=["traffic", "dependencies"], default="traffic",
                       help="traffic: entry points, routing and calls (default); "
                            "dependencies: every resource and Pulumi's dependencies")
    graph.add_argument("-o", "--output", type=Path, help="write to this file (default: stdout)")
    graph.set_defaults(run=_graph)

    stacks = commands.add_parser(
        "stacks", parents=[project], help="the shipped stacks as a JSON list (for a CI matrix), or those a change touches")
    stacks.add_argument("--changed-since", metavar="GIT_REF",
                        help="only stacks the changes since GIT_REF touch (code changes touch all)")
    stacks.set_defaults(run=_stacks)

    runners = commands.add_parser(
        "runners", parents=[project], help="each shipped stack's runner labels (shipyard:deploy.runsOn) as JSON, "
                        "for the workflows' runs-on")
    runners.set_defaults(run=_runners)

    refresh_first = commands.add_parser(
        "refresh-first", parents=[project],
        help="`true` if `pulumi up` of the stack must refresh its state first (a platform whose "
             "orchestrator changes services by itself: Docker Swarm rollbacks), else `false`")
    refresh_first.add_argument("stack")
    refresh_first.set_defaults(run=_refresh_first)

    ci_policy = commands.add_parser(
        "ci-policy", parents=[stack_file],
        help="IAM policy documents for the GitHub Actions roles (see docs/ci.md)")
    ci_policy.add_argument("kind", choices=["preview", "deploy", "trust", "ecr-push"],
                           help="preview / deploy: what `pulumi preview` / `pulumi up` of the "
                                "stacks need beyond ReadOnlyAccess, by policy name; trust: a "
                                "role's trust policy for GitHub OIDC; ecr-push: what image "
                                "builds need in ECR")
    ci_policy.add_argument("stacks", nargs="*", metavar="STACK",
                           help="preview, deploy: the stacks whose offline plans the policies cover")
    ci_policy.add_argument("--account", required=True, help="AWS account id of the role")
    ci_policy.add_argument("--repository", default="", help="GitHub repository, owner/name (trust)")
    ci_policy.add_argument("--environment", action="append", default=[],
                           help="trust jobs in this GitHub environment (repeatable)")
    ci_policy.add_argument("--branch", action="append", default=[],
                           help="trust jobs without an environment on this branch (repeatable)")
    ci_policy.add_argument("--pull-requests", action="store_true",
                           help="trust pull-request jobs (the preview role)")
    ci_policy.add_argument("--ecr-repository", action="append", default=[],
                           help="ECR repository name the builds push to (ecr-push, repeatable)")
    ci_policy.add_argument("--region", default=engine.DEFAULT_REGION, help="region of the repositories")
    ci_policy.set_defaults(run=_ci_policy)

    docs = commands.add_parser("docs", parents=[project],
                               help="print the config reference table from the schema; --write updates "
                                    "the generated tables in docs/")
    mode = docs.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true", help="update docs/config.md and docs/costs.md")
    mode.add_argument("--check", action="store_true", help="exit 1 if they are stale")
    docs.set_defaults(run=_docs)
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        code = _main(argv)
        sys.stdout.flush()  # a reader that went away (`| head`) fails here, inside the try
        return code
    except BrokenPipeError:
        # The reader closed the pipe: stop quietly. Point stdout at devnull so the interpreter's
        # own flush at exit does not fail again (Python docs, signal: "Note on SIGPIPE").
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1


def _main(argv: list[str] | None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except ConfigError as error:
        print(f"{args.stack if hasattr(args, 'stack') else 'stack'}: invalid stack config",
              file=sys.stderr)
        for problem in error.problems:
            print(f"  {problem}", file=sys.stderr)
        return 2
    except (FileNotFoundError, UsageError) as error:
        print(error, file=sys.stderr)
        return 2
