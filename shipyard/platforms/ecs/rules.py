"""The config rules only ECS has: task sizes, instance fit, the shared ALB's routes and quotas, and
what a task definition may hold."""

from __future__ import annotations

import json
from typing import Any, Iterator, Optional

from shipyard.aws.fargate import NoFargateSize
from shipyard.aws.instance_types import ECS_RESERVED_MEMORY_MIB, InstanceSize, size_of
from shipyard.aws.names import STACK_NAME_MAX
from shipyard.aws.naming import ecr_repository_url
from shipyard.config.rules import Problem, arns_outside, service_calls, size_bounds
from shipyard.config.schema import Service, StackConfig
from shipyard.platforms.ecs.task import (
    container_definitions_json,
    log_group_name,
    task_size,
    uses_service_connect,
)
from shipyard.services import architectures
from shipyard.services.calls import called, find_cycle
from shipyard.services.image_build import digest_reference
from shipyard.services.routing import derived_priority, route_host, served_over_https


def ecs_task_sizes(config: StackConfig) -> Iterator[Problem]:
    on_ecs = config.services_on("ecs")
    for index, service in enumerate(config.services):
        if config.runs_on(service, "ecs"):
            try:
                task_size(service, uses_service_connect(service, on_ecs))
            except NoFargateSize as error:
                key = "cpu" if service.cpu * 1024 > 16384 else "memory"
                yield ("services", index, key), str(error)


def ecs_routes(config: StackConfig) -> Iterator[Problem]:
    seen: dict[tuple[str | None, str], int] = {}
    pinned: dict[int, int] = {}   # explicit listener rule priority -> service index
    derived: dict[int, int] = {}  # derived priority -> service index
    public = [(index, s) for index, s in enumerate(config.services)
              if s.public and config.runs_on(s, "ecs")]
    for index, service in public:
        if service.priority is None:
            derived.setdefault(derived_priority(route_host(service), service.path), index)
    for index, service in enumerate(config.services):
        if service.public and config.runs_on(service, "ecs"):
            route = (route_host(service), service.path)
            if route in seen:
                # Two services on one domain are reported once, by custom_domains.
                if not service.domain:
                    yield ("services", index, "path"), (
                        f"same ALB route (host {route[0] or 'any'}, path {service.path}) as "
                        f"services[{seen[route]}]; set host or path")
                continue
            seen[route] = index
            if service.priority is None:
                continue
            holder = pinned.get(service.priority, derived.get(service.priority))
            if holder is not None:
                yield ("services", index, "priority"), (
                    f"listener rule priority {service.priority} is also services[{holder}]'s: "
                    "set priority (1-50000, lower numbers are evaluated first) to a free number")
            else:
                pinned[service.priority] = index
        elif service.priority is not None:
            yield ("services", index, "priority"), "only used by public services on ECS"


def ecs_tasks_fit_instances(config: StackConfig) -> Iterator[Problem]:
    """On EC2 capacity, no ECS task larger than what one instance offers tasks."""
    ecs = config.ecs
    if not (ecs.enabled and ecs.capacity == "ec2"):
        return
    instance_type = ecs.ec2.instance_type
    size = size_of(instance_type)
    if size is None:
        return
    on_ecs = config.services_on("ecs")
    for index, service in enumerate(config.services):
        if config.runs_on(service, "ecs"):
            yield from _task_fits(("services", index), service,
                                  uses_service_connect(service, on_ecs), instance_type, size)


def _task_fits(at: tuple[Any, ...], service: Service, proxied: bool, instance_type: str,
               size: InstanceSize) -> Iterator[Problem]:
    try:
        task = task_size(service, proxied)
    except NoFargateSize:
        return  # reported by ecs_task_sizes
    advice = "lower it or choose a larger shipyard:ecs.ec2.instanceType"
    if task.cpu > size.task_cpu_units:
        yield (*at, "cpu"), (
            f"a task of {task.cpu} CPU units does not fit on one {instance_type} "
            f"({size.vcpus} vCPU = {size.task_cpu_units} units): {advice}")
    if task.memory > size.task_memory_mib:
        yield (*at, "memory"), (
            f"a task of {task.memory} MiB does not fit on one {instance_type}, which offers tasks "
            f"{size.task_memory_mib} MiB ({size.memory_mib} MiB installed, less the kernel's share "
            f"and the ECS agent's {ECS_RESERVED_MEMORY_MIB} MiB reservation): {advice}")


# ELB quotas ("Quotas for your Application Load Balancers",
# docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-limits.html): rules
# per ALB 100, not counting default rules; target groups per ALB 100 (not adjustable);
# condition wildcards per rule 5.
ALB_RULES_MAX = 100
ALB_TARGET_GROUPS_MAX = 100
ALB_RULE_WILDCARDS_MAX = 5


def alb_rule_quota(config: StackConfig) -> Iterator[Problem]:
    """What Shipyard creates on the shared ALB (components/ecs/load_balancer.py, ecs_service.py):
    each public ECS service is one target group and one listener rule; when some service is
    served on plain HTTP, each custom domain adds an HTTP-to-HTTPS redirect rule."""
    public = [index for index, service in enumerate(config.services)
              if service.public and config.runs_on(service, "ecs")]
    certificate = config.ecs.load_balancer.certificate_arn is not None
    served = [config.services[index] for index in public]
    plain_http = any(not served_over_https(s, certificate) for s in served)
    redirects = [index for index in public
                 if plain_http and config.services[index].domain is not None]
    if len(public) > ALB_TARGET_GROUPS_MAX:
        yield ("services", public[ALB_TARGET_GROUPS_MAX], "public"), (
            f"{len(public)} public ECS services, but one ALB takes at most "
            f"{ALB_TARGET_GROUPS_MAX} listener rules and target groups (ELB quotas): make some "
            f"services private or run them on EKS")
    elif len(public) + len(redirects) > ALB_RULES_MAX:
        yield ("services", redirects[-1], "domain"), (
            f"{len(public)} public ECS services and {len(redirects)} HTTP-to-HTTPS redirects "
            f"for their domains make {len(public) + len(redirects)} listener rules, but one ALB "
            f"takes at most {ALB_RULES_MAX} (ELB quotas): set "
            f"shipyard:ecs.loadBalancer.certificateArn (then plain HTTP redirects with no rule "
            f"per domain), make some services private or run them on EKS")
    for index in public:
        service = config.services[index]
        wildcards = sum((service.host or "").count(c) + service.path.count(c) for c in "*?")
        if wildcards > ALB_RULE_WILDCARDS_MAX:
            yield ("services", index, "path"), (
                f"host and path use {wildcards} wildcards; an ALB rule allows at most "
                f"{ALB_RULE_WILDCARDS_MAX} (ELB quotas)")


# botocore's ECS model, ContainerDefinition `image`: "For images using tags
# (repository-url/image:tag), up to 255 characters total are allowed ... For images using
# digests (repository-url/image@digest), the 255 character limit applies only to the repository
# URL and image name (everything before the @ sign)" (the shape itself is a plain String, no
# `max`: RegisterTaskDefinition refuses the longer reference at deploy time).
ECS_IMAGE_MAX = 255


# Any 12-digit account, and a digest of the real length: only lengths matter here.
_ANY_ACCOUNT = "0" * 12
_ANY_DIGEST = "sha256:" + "0" * 64


def _ecs_image(service: Service, region: str) -> Optional[str]:
    """The image reference the service's ECS task definition names, as __main__.py builds it
    (None: a service the schema already refused)."""
    if service.image:
        return service.image
    if not service.repository:
        return None
    url = ecr_repository_url(_ANY_ACCOUNT, region, service.repository)
    if service.build:
        return digest_reference(url, _ANY_DIGEST)
    return f"{url}:{service.tag}" if service.tag else None


def ecs_image_length(config: StackConfig, region: str) -> Iterator[Problem]:
    """The image reference each ECS task definition names, as Shipyard would send it."""
    for index, service in enumerate(config.services):
        reference = _ecs_image(service, region)
        if not config.runs_on(service, "ecs") or reference is None:
            continue
        # by digest, only the name counts (and the reference grammar holds it to 255)
        counted = reference.partition("@")[0]
        if service.image:
            key, form = "image", ""
            fix = "use a shorter repository path or tag, or refer to the image by digest"
        elif service.build:
            key = "repository"
            form = " (<account>.dkr.ecr.<region>.amazonaws.com/<repository>, before @<digest>)"
            fix = "use a shorter ECR repository name"
        else:
            key = "tag"
            form = " (<account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag>)"
            fix = "use a shorter ECR repository name or tag"
        if len(counted) > ECS_IMAGE_MAX:
            yield ("services", index, key), (
                f"the image reference the task definition names{form} is {len(counted)} "
                f"characters, over the {ECS_IMAGE_MAX} ECS accepts: {fix}")


# ECS service quotas, "Task definition size": 64 KiB, not adjustable
# (docs.aws.amazon.com/AmazonECS/latest/developerguide/service-quotas.html); RegisterTaskDefinition
# refuses a larger one in the middle of `pulumi up`.
TASK_DEFINITION_MAX_BYTES = 64 * 1024
# The ECS cluster is `<project>-<stack>` (__main__.py); the rule does not know the stack, so it
# counts the longest name a stack may have, and a definition it passes fits in every stack.
LONGEST_CLUSTER_NAME = f"shipyard-{'x' * STACK_NAME_MAX}"  # Pulumi.yaml: name: shipyard


def task_definition_bytes(config: StackConfig, service: Service, region: str) -> int:
    """Bytes of the `containerDefinitions` Shipyard sends for `service` on ECS (the bulk of the
    task definition: family, sizes, roles and the volume add a few hundred more)."""
    endpoint = service.name in called(config.services_on("ecs"))
    definitions = container_definitions_json(
        service, _ecs_image(service, region) or "",
        log_group_name(LONGEST_CLUSTER_NAME, service.name), region, config.ecs.enable_exec,
        endpoint)
    return len(definitions.encode())


def ecs_task_definition_size(config: StackConfig, region: str) -> Iterator[Problem]:
    for index, service in enumerate(config.services):
        if not config.runs_on(service, "ecs"):
            continue
        size = task_definition_bytes(config, service, region)
        if size > TASK_DEFINITION_MAX_BYTES:
            env = len(json.dumps([{"name": k, "value": v} for k, v in service.env.items()]).encode())
            yield ("services", index), (
                f"service '{service.name}': its ECS container definitions take {size:,} bytes, "
                f"over the {TASK_DEFINITION_MAX_BYTES:,} (64 KiB) ECS accepts for a task "
                f"definition (ECS service quotas, \"Task definition size\"); env takes {env:,} "
                f"of them: move large values into secrets (services[].secrets) or a file in the "
                f"image")


_INSTANCE_ADVICE = {architectures.AMD64: "choose an x86 instance type (e.g. t3.medium)",
                    architectures.ARM64: "choose a Graviton instance type (e.g. t4g.medium)"}


def ecs_architectures(config: StackConfig) -> Iterator[Problem]:
    """On EC2 capacity a task runs on the instances' architecture (Fargate runs both)."""
    for mismatch in architectures.mismatches(config, "ecs"):
        yield ("services", mismatch.index, "architectures"), (
            f"{mismatch.claim}, but ECS runs its tasks on {config.ecs.ec2.instance_type} "
            f"instances (shipyard:ecs.ec2.instanceType), which are "
            f"{' and '.join(mismatch.runs)}: {mismatch.listing}, or "
            f"{_INSTANCE_ADVICE[mismatch.image[0]]}")


def ecs_unused_settings(config: StackConfig) -> Iterator[Problem]:
    """Settings the chosen options would silently ignore: say so instead."""
    ecs = config.ecs
    if "ec2" in ecs.model_fields_set and ecs.capacity != "ec2":
        yield ("ecs", "ec2"), f"only used with capacity 'ec2' (capacity is '{ecs.capacity}')"
    if "on_demand_base" in ecs.model_fields_set and ecs.capacity != "fargateSpot":
        yield ("ecs", "onDemandBase"), (
            f"only used with capacity 'fargateSpot' (capacity is '{ecs.capacity}')")
    for index, service in enumerate(config.services):
        routed = service.public and config.runs_on(service, "ecs")
        for key in ("host", "path"):
            if key in service.model_fields_set and not routed:
                yield ("services", index, key), (
                    "only used by public services on ECS (it routes the shared ALB)")


def ecs_call_cycle(config: StackConfig) -> Iterator[Problem]:
    """Callees start first on ECS, so calls among its services must not form a cycle (checked
    once the calls themselves are valid)."""
    if any(True for _ in service_calls(config)):
        return
    cycle = find_cycle(config.services_on("ecs"))
    if cycle:
        index = next(i for i, s in enumerate(config.services) if s.name == cycle[0])
        yield ("services", index, "calls"), (
            f"calls form a cycle on ECS ({' -> '.join(cycle)}): a Service Connect client reaches "
            "only services that were running before it started, so each must start after those "
            "it calls")


def ecs_capacity_bounds(config: StackConfig) -> Iterator[Problem]:
    ec2 = config.ecs.ec2
    yield from size_bounds(("ecs", "ec2"), ec2.min_size, ec2.max_size)


def load_balancer_settings(config: StackConfig) -> Iterator[Problem]:
    balancer = config.ecs.load_balancer
    at = ("ecs", "loadBalancer")
    if balancer.managed_web_acl and balancer.web_acl_arn:
        yield (*at, "webAclArn"), "give either webAclArn or managedWebAcl, not both"
    if balancer.access_logs is False:
        if balancer.access_logs_bucket is not None:
            yield (*at, "accessLogsBucket"), "set, but accessLogs is false"
        if config.production:
            yield (*at, "accessLogs"), "production stacks keep ALB access logs (Security Hub ELB.5)"


def load_balancer_region(config: StackConfig, region: str) -> Iterator[Problem]:
    """ACM and regional WAF serve load balancers in their own region only."""
    balancer = config.ecs.load_balancer
    yield from arns_outside(region, [
        (("ecs", "loadBalancer", "certificateArn"), balancer.certificate_arn,
         "an ALB takes ACM certificates from its own region"),
        (("ecs", "loadBalancer", "webAclArn"), balancer.web_acl_arn,
         "a regional WAF web ACL protects load balancers in its own region")])


RULES = (ecs_task_sizes, ecs_tasks_fit_instances, ecs_routes, alb_rule_quota, ecs_architectures,
         ecs_unused_settings, ecs_call_cycle, ecs_capacity_bounds, load_balancer_settings)
REGIONAL_RULES = (ecs_image_length, ecs_task_definition_size, load_balancer_region)
