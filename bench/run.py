"""Timing benchmarks (a script, not a test): how much the program adds over Python + SDK imports.

Each measurement is a fresh interpreter, run REPEAT times; the median is reported.
  floor        python importing exactly the SDK modules a prod plan loads (nothing of Shipyard)
  plan <s>     python -m shipyard plan <s> --json, for each shipped stack
  1 service    a generated stack: ECS + EKS, 1 service, 1 node group
  50 services  a generated stack: ECS + EKS, 50 services, 10 node groups
Targets: prod plan within 2x the floor; 50 services within 3x of 1 service.

Usage: python bench/run.py [--repeat N]
"""

from __future__ import annotations

import argparse
import json
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


def timed(command: list[str], cwd: Path, repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(command, cwd=cwd, check=True, stdout=subprocess.DEVNULL)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def sdk_modules(stack: str) -> list[str]:
    """The pulumi* modules a plan of `stack` imports."""
    script = ("import sys, runpy; sys.argv = ['shipyard', 'plan', %r, '--json'];"
              "import io, contextlib\n"
              "with contextlib.redirect_stdout(io.StringIO()):\n"
              "    try: runpy.run_module('shipyard', run_name='__main__')\n"
              "    except SystemExit: pass\n"
              "print(' '.join(sorted(m for m in sys.modules if m.split('.')[0] in "
              "('pulumi', 'pulumi_aws', 'pulumi_eks', 'pulumi_kubernetes'))))" % stack)
    output = subprocess.run([PYTHON, "-c", script], cwd=ROOT, check=True,
                            capture_output=True, text=True).stdout
    return output.split()


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    repeat = parser.parse_args().repeat

    modules = sdk_modules("prod")
    floor = timed([PYTHON, "-c", "import " + ", ".join(modules)], ROOT, repeat)
    results = {"floor (SDK imports)": floor}
    stacks = sorted(p.name[len("Pulumi."):-len(".yaml")] for p in ROOT.glob("Pulumi.*.yaml"))
    for stack in stacks:
        results[f"plan {stack}"] = timed([PYTHON, "-m", "shipyard", "plan", stack, "--json"], ROOT, repeat)

    with tempfile.TemporaryDirectory(prefix="shipyard-bench-") as directory:
        project = Path(directory)
        for item in ("__main__.py", "Pulumi.yaml", "components", "shipyard"):
            os.symlink(ROOT / item, project / item)
        for name, (services, groups) in {"one": (1, 1), "fifty": (50, 10)}.items():
            (project / f"Pulumi.{name}.yaml").write_text(yaml.safe_dump(generated_config(services, groups)))
        results["1 service, 1 node group"] = timed(
            [PYTHON, "-m", "shipyard", "plan", "one", "--json", "-C", str(project)], ROOT, repeat)
        results["50 services, 10 node groups"] = timed(
            [PYTHON, "-m", "shipyard", "plan", "fifty", "--json", "-C", str(project)], ROOT, repeat)

    print(f"median of {repeat} runs, {len(modules)} SDK modules in the floor")
    for name, seconds in results.items():
        print(f"  {name:<30} {seconds:6.2f} s")
    prod_ratio = results["plan prod"] / floor
    scale_ratio = results["50 services, 10 node groups"] / results["1 service, 1 node group"]
    print(f"  prod plan / floor            {prod_ratio:6.2f}x  (target <= 2x)")
    print(f"  50 services / 1 service      {scale_ratio:6.2f}x  (target <= 3x)")
    print(json.dumps({k: round(v, 3) for k, v in results.items()}))


if __name__ == "__main__":
    main()
