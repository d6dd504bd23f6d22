"""`make bench`: issue 15's measured targets, each printed with its value, limit and PASS/FAIL.

  (a) an ECS-only stack's plan imports no pulumi-eks or pulumi-kubernetes module
  (b) a generated 50-service stack plans in at most 2x the time of a 1-service one (ECS + EKS)
  (c) the prod plan takes at most 1.3x the SDK-import floor: python importing exactly the SDK
      modules (pulumi, pulumi_*) the prod plan imports, and nothing of Shipyard
  (d) adding a platform touches at most 5 existing files outside its own folders: the shared
      files its checklist edits (CONTRIBUTING.md, "Adding a platform") plus the production files
      that hard-code the platform's name outside shipyard/platforms/<name>/ and
      components/<name>/ (the registry among them), counted from the code (:func:`files_naming`);
      the files of its own it adds (its docs page, tests, example) are listed, not counted

Timings are wall-clock medians of --repeat runs, each a fresh interpreter, taken in rounds that
run every command once (in turn), so a machine busy with other work slows all alike.
bench/README.md has the last numbers. Usage: python bench/run.py [--repeat N]
"""

from __future__ import annotations

import argparse
import ast
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
ECS_ONLY_STACK_FILE = ROOT / "examples" / "two-service-app" / "Pulumi.ecs.yaml"
KUBERNETES_SDKS = ("pulumi_eks", "pulumi_kubernetes")
SCALE_LIMIT, FLOOR_LIMIT, FILES_LIMIT = 2.0, 1.3, 5
# What a new platform edits outside its folders besides production code that names it (the
# registry is counted with the code), and the files of its own it adds to the shared folders,
# each named after it (CONTRIBUTING.md, "Outside its folders").
EDITED_OUTSIDE_CODE = ("requirements.txt", "README.md")
ADDED_OWN_FILES = ("docs/<name>.md", "tests/test_<name>.py", "tests/bad_input/<name>.yaml",
                   "examples/two-service-app/Pulumi.<name>.yaml",
                   "tests/golden/examples/two-service-app.<name>.json")


def plan_command(stack: str, *options: str) -> list[str]:
    return [PYTHON, "-m", "shipyard", "plan", stack, "--json", *options]


def sdk_modules(stack: str, *options: str) -> list[str]:
    """The SDK modules (pulumi, pulumi_*) a plan of `stack` imports, in a fresh interpreter."""
    script = ("import contextlib, io, runpy, sys\n"
              f"sys.argv = {['shipyard', 'plan', stack, '--json', *options]!r}\n"
              "with contextlib.redirect_stdout(io.StringIO()):\n"
              "    try: runpy.run_module('shipyard', run_name='__main__')\n"
              "    except SystemExit: pass\n"
              "print(' '.join(sorted(m for m in sys.modules if m.split('.')[0] == 'pulumi'"
              " or m.startswith('pulumi_'))))")
    return subprocess.run([PYTHON, "-c", script], cwd=ROOT, check=True, capture_output=True,
                          text=True).stdout.split()


def medians(commands: dict[str, list[str]], repeat: int) -> dict[str, float]:
    samples: dict[str, list[float]] = {label: [] for label in commands}
    for _ in range(repeat):
        for label, command in commands.items():
            start = time.perf_counter()
            subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
            samples[label].append(time.perf_counter() - start)
    return {label: statistics.median(times) for label, times in samples.items()}


def generated_config(services: int, node_groups: int) -> dict:
    return {"config": {
        "aws:region": "us-east-1",
        "shipyard:ecs": {"enabled": True, "capacity": "fargate"},
        "shipyard:eks": {"enabled": True, "publicAccessCidrs": ["203.0.113.0/24"],
                         "nodeGroups": [{"name": f"group-{i}"} for i in range(node_groups)]},
        "shipyard:services": [{"name": f"service-{i}", "image": f"ghcr.io/acme/s{i}:1.0.0",
                               **({"public": True, "path": f"/s{i}/*"} if i % 5 == 0 else {})}
                              for i in range(services)],
    }}


def production_files(root: Path = ROOT) -> list[Path]:
    return [root / "__main__.py", *sorted((root / "shipyard").rglob("*.py")),
            *sorted((root / "components").rglob("*.py"))]


def _names_platform(node: ast.AST, name: str) -> bool:
    """Whether a node hard-codes platform `name`: imports its modules, reads its config section
    (`config.<name>`, `"shipyard:<name>..."`), or compares, indexes or keys by its name."""
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        modules = [alias.name for alias in node.names]
        if isinstance(node, ast.ImportFrom) and node.module:
            modules = [node.module, *(f"{node.module}.{m}" for m in modules)]
        return any(name in module.split(".") for module in modules)
    if isinstance(node, ast.Attribute):
        return node.attr == name
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value == f"shipyard:{name}" or node.value.startswith(
            (f"shipyard:{name}.", f"shipyard:{name}:"))
    literals: list[ast.AST] = []
    if isinstance(node, ast.Compare):
        for operand in (node.left, *node.comparators):
            literals += operand.elts if isinstance(operand, (ast.Tuple, ast.List, ast.Set)) \
                else [operand]
    elif isinstance(node, ast.Dict):
        literals = [key for key in node.keys if key is not None]
    elif isinstance(node, ast.Subscript):
        literals = [node.slice]
    return any(isinstance(n, ast.Constant) and n.value == name for n in literals)


def files_naming(name: str, root: Path = ROOT) -> list[str]:
    """The production files outside the platform's folders that hard-code platform `name`."""
    own = (root / "shipyard" / "platforms" / name, root / "components" / name)
    return [str(path.relative_to(root)) for path in production_files(root)
            if not any(path.is_relative_to(folder) for folder in own)
            and any(_names_platform(node, name) for node in ast.walk(ast.parse(path.read_text())))]


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    repeat = parser.parse_args().repeat
    sys.path.insert(0, str(ROOT))
    from shipyard.platforms import NAMES

    report: list[str] = []
    ecs_only = sdk_modules("ecs", "--stack-file", str(ECS_ONLY_STACK_FILE))
    loaded = [m for m in ecs_only if m.split(".")[0] in KUBERNETES_SDKS]
    packages = sorted({m.split(".")[0] for m in ecs_only})
    report.append(f"(a) ECS-only plan ({ECS_ONLY_STACK_FILE.relative_to(ROOT)}): "
                  f"{len(loaded)} pulumi-eks/pulumi-kubernetes modules (limit 0; it imports "
                  f"{', '.join(packages)})  {_verdict(not loaded)}")

    floor_modules = sdk_modules("prod")
    with tempfile.TemporaryDirectory(prefix="shipyard-bench-") as directory:
        project = Path(directory)
        for item in ("__main__.py", "Pulumi.yaml", "components", "shipyard"):
            os.symlink(ROOT / item, project / item)
        for stack, (services, groups) in {"one": (1, 1), "fifty": (50, 10)}.items():
            (project / f"Pulumi.{stack}.yaml").write_text(
                yaml.safe_dump(generated_config(services, groups)))
        times = medians({
            "floor": [PYTHON, "-c", "import " + ", ".join(floor_modules)],
            "prod": plan_command("prod"),
            "one": plan_command("one", "-C", str(project)),
            "fifty": plan_command("fifty", "-C", str(project)),
        }, repeat)
    scale, floor = times["fifty"] / times["one"], times["prod"] / times["floor"]
    report.append(f"(b) 50 services / 1 service: {times['fifty']:.2f} s / {times['one']:.2f} s "
                  f"= {scale:.2f}x (limit {SCALE_LIMIT}x)  {_verdict(scale <= SCALE_LIMIT)}")
    report.append(f"(c) prod plan / SDK-import floor ({len(floor_modules)} modules): "
                  f"{times['prod']:.2f} s / {times['floor']:.2f} s = {floor:.2f}x "
                  f"(limit {FLOOR_LIMIT}x)  {_verdict(floor <= FLOOR_LIMIT)}")

    for name in NAMES:
        code = files_naming(name)
        touched = len(EDITED_OUTSIDE_CODE) + len(code)
        report.append(f"(d) adding a platform like {name}: edits {touched} existing files outside "
                      f"its folders (limit {FILES_LIMIT}): {', '.join(EDITED_OUTSIDE_CODE)} + "
                      f"{len(code)} production files naming it: {', '.join(code)}; adds "
                      f"{len(ADDED_OWN_FILES)} files of its own  {_verdict(touched <= FILES_LIMIT)}")
    print(f"medians of {repeat} fresh-interpreter runs, interleaved")
    print("\n".join(report))


if __name__ == "__main__":
    main()
