"""Checks that span several keys, run once the config has the right shape.

Each rule yields `(key location, message)`; :mod:`shipyard.config.load` turns the location into
the full key path. Single-key checks (types, ranges, name patterns) live in the schema.
"""

from __future__ import annotations

import json
from typing import Any, Iterator, Optional

import yaml

from shipyard import PROJECT_ROOT, aws_models, reachability
from shipyard import architectures as arch
from shipyard.ami import is_graviton
from shipyard.calls import find_cycle
from shipyard.config.schema import Repository, Service, StackConfig
from shipyard.config.types import Autoscaling
from shipyard.platforms.eks.spec import NodeGroup
from shipyard.ecs_task import task_size, uses_service_connect
from shipyard.eks_nodes import BLOCKING_TAINT_EFFECTS, FARGATE_SYSTEM_PROFILES
from shipyard.endpoints import ecr_region
from shipyard.fargate import NoFargateSize
from shipyard.image_build import context_problems
from shipyard.instance_types import ECS_RESERVED_MEMORY_MIB, InstanceSize, size_of
from shipyard.naming import ecr_repository_url, repository_logical_name
from shipyard.platforms import PLATFORMS, with_capability
from shipyard.routing import derived_priority, in_zone, route_host, served_over_https
from shipyard.scaling import replica_bounds

Problem = tuple[tuple[Any, ...], str]


def cross_field_problems(config: StackConfig, region: Optional[str] = None) -> list[Problem]:
    """Every rule's problems; `region` (the stack's `aws:region`) enables the regional rules."""
    problems = [problem for rule in RULES for problem in rule(config)]
    if region:
        problems += [problem for rule in REGIONAL_RULES for problem in rule(config, region)]
    return problems


def _repeats(values: list[Any]) -> Iterator[tuple[int, int, Any]]:
    """`(index, index of its first occurrence, value)` for every value seen before."""
    first: dict[Any, int] = {}
    for index, value in enumerate(values):
        if value in first:
            yield index, first[value], value
        first.setdefault(value, index)


def _duplicates(section: tuple[Any, ...], names: list[str]) -> Iterator[Problem]:
    for index, first, name in _repeats(names):
        yield (*section, index, "name"), f"duplicate name '{name}' (also at index {first})"


def unique_names(config: StackConfig) -> Iterator[Problem]:
    yield from _duplicates(("ecr", "repositories"), [r.name for r in config.ecr.repositories])
    yield from _duplicates(("services",), [s.name for s in config.services])
    yield from _duplicates(("eks", "nodeGroups"), [g.name for g in config.eks.node_groups])
    yield from _duplicates(("eks", "fargateProfiles"), [p.name for p in config.eks.fargate_profiles])


def repository_logical_names(config: StackConfig) -> Iterator[Problem]:
    """`shop/api` and `shop-api` are two ECR names but one Pulumi name: their URNs would collide."""
    names = [r.name for r in config.ecr.repositories]
    for index, other, logical in _repeats([repository_logical_name(n) for n in names]):
        if names[index] != names[other]:  # the same name twice is a duplicate name
            yield ("ecr", "repositories", index, "name"), (
                f"'{names[index]}' and repositories[{other}] ('{names[other]}') both become the "
                f"Pulumi resource name '{logical}': rename one")


def admin_principals(config: StackConfig) -> Iterator[Problem]:
    """EKS allows one access entry per principal (botocore's eks model, CreateAccessEntry)."""
    for index, first, _ in _repeats(config.eks.admin_principal_arns):
        yield ("eks", "adminPrincipalArns", index), (
            f"duplicate of adminPrincipalArns[{first}]: EKS allows one access entry per principal")


def existing_vpc(config: StackConfig) -> Iterator[Problem]:
    network = config.network
    given = {"vpcId": network.vpc_id, "publicSubnetIds": network.public_subnet_ids,
             "privateSubnetIds": network.private_subnet_ids}
    if any(v is not None for v in given.values()):
        for key, value in given.items():
            if value is None:
                yield ("network", key), (
                    "required with the other existing-VPC keys (vpcId, publicSubnetIds, "
                    "privateSubnetIds go together)")
            elif isinstance(value, list):
                yield from _repeated_subnets(("network", key), value)
                if len(set(value)) < 2:
                    yield ("network", key), "needs subnets in at least 2 availability zones"
        both = set(network.public_subnet_ids or ()) & set(network.private_subnet_ids or ())
        for subnet in sorted(both):
            yield ("network", "privateSubnetIds"), (
                f"{subnet} is also listed in publicSubnetIds: a subnet is either public or private")


def _repeated_subnets(at: tuple[Any, ...], subnets: list[str]) -> Iterator[Problem]:
    for index, first, subnet in _repeats(subnets):
        yield (*at, index), f"repeats {subnet} (also at index {first})"


def explicit_zones(config: StackConfig) -> Iterator[Problem]:
    network = config.network
    names = network.availability_zone_names
    if names is None:
        return
    for index, first, name in _repeats(list(names)):
        yield ("network", "availabilityZoneNames", index), (
            f"duplicate name '{name}' (also at index {first})")
    if "availability_zones" in network.model_fields_set and network.availability_zones != len(names):
        yield ("network", "availabilityZones"), (
            f"{network.availability_zones} does not match the {len(names)} zones in "
            "availabilityZoneNames: leave it out")
    if network.existing:
        yield ("network", "availabilityZoneNames"), (
            "only for a VPC Shipyard creates (an existing VPC brings its own subnets)")


def private_egress(config: StackConfig) -> Iterator[Problem]:
    network = config.network
    needs_egress = config.ecs.enabled or config.eks.enabled
    if (needs_egress and not network.existing and network.nat_gateways == "none"
            and not network.vpc_endpoints):
        yield ("network", "natGateways"), (
            "'none' leaves private subnets without egress, but ECS/EKS tasks there must pull "
            "images and reach AWS APIs: use 'single' or 'perAz', or set network.vpcEndpoints")


def images_without_nat(config: StackConfig) -> Iterator[Problem]:
    """With no NAT gateway, private subnets reach only AWS endpoints: images must come from ECR."""
    if config.network.existing or config.network.nat_gateways != "none":
        return
    for index, service in enumerate(config.services):
        if _in_vpc(config, service) and service.image and ecr_region(service.image) is None:
            yield ("services", index, "image"), (
                f"{service.image.split('/')[0] if '/' in service.image else 'Docker Hub'} is not "
                f"reachable from private subnets without NAT (shipyard:network.natGateways is "
                "'none'): push the image to ECR (or use an ECR pull-through cache) or add a NAT "
                "gateway")


def used_repositories(config: StackConfig) -> Iterator[Problem]:
    if config.ecr.mode != "use":
        return
    for index, repository in enumerate(config.ecr.repositories):
        for field in sorted(repository.model_fields_set - {"name"}):
            alias = Repository.model_fields[field].alias
            yield ("ecr", "repositories", index, alias), (
                "set by the stack that creates the repository (this stack's shipyard:ecr.mode "
                "is 'use')")


def _in_vpc(config: StackConfig, service: Service) -> bool:
    return any(PLATFORMS[p].in_vpc for p in config.platforms_of(service))


def _image_tag_problem(image: str) -> str | None:
    if "@sha256:" in image:
        return None
    name = image.rsplit("/", 1)[-1]
    if ":" not in name:
        return "needs a fixed tag or digest (e.g. nginx:1.27), not the implicit 'latest'"
    if name.rsplit(":", 1)[1] == "latest":
        return "must not use the mutable 'latest' tag: pin a version or digest"
    return None


def service_images(config: StackConfig) -> Iterator[Problem]:
    """Exactly one image source per service: `image`, `repository` + `tag`, or `build`
    (which pushes to `repository`)."""
    declared = {r.name for r in config.ecr.repositories}
    for index, service in enumerate(config.services):
        at = ("services", index)
        sources = [key for key, given in (("image", service.image), ("build", service.build))
                   if given is not None]
        if service.repository and not service.build:
            sources.append("repository")
        if len(sources) > 1:
            yield (*at, sources[0]), ("give only one of image, repository + tag, or build "
                                      f"(also set: {', '.join(sources[1:])})")
            continue
        if not sources:
            yield (*at, "image"), "required (or repository + tag, or build)"
            continue
        if service.image:
            problem = _image_tag_problem(service.image)
            if problem:
                yield (*at, "image"), problem
            if service.tag:
                yield (*at, "tag"), "only used with repository"
            continue
        if service.repository is None:
            yield (*at, "repository"), "required with build: the ECR repository to push the image to"
        elif service.repository not in declared:
            yield (*at, "repository"), (
                f"'{service.repository}' is not declared in shipyard:ecr.repositories"
                + (f" (declared: {', '.join(sorted(declared))})" if declared else ""))
        if service.build:
            if service.tag:
                yield (*at, "tag"), "not used with build: the built image runs by its digest"
            for key, message in context_problems(service.build.context, service.build.dockerfile,
                                                 PROJECT_ROOT):
                yield (*at, "build", key), message
        elif not service.tag:
            yield (*at, "tag"), "required with repository"
        elif service.tag == "latest":
            yield (*at, "tag"), "must not be 'latest': pin a version"


def service_platforms(config: StackConfig) -> Iterator[Problem]:
    enabled = config.enabled_platforms()
    for index, service in enumerate(config.services):
        if service.run_on is None:
            if not enabled:
                yield ("services", index, "name"), (
                    "no compute platform is enabled to run it (enable shipyard:ecs, "
                    "shipyard:eks or shipyard:kubernetes)")
            continue
        for position, platform in enumerate(service.run_on):
            if platform not in enabled:
                yield ("services", index, "runOn", position), (
                    f"'{platform}' is not enabled in this stack (enabled: "
                    f"{', '.join(enabled) or 'none'})")


def _image_claim(service: Service, image: tuple[str, ...]) -> str:
    if service.architectures is None:
        return (f"the image counts as {' and '.join(image)} only (the default for an image "
                "Shipyard does not build)")
    return f"the image is listed as {' and '.join(image)} only"


def _list_them(image: tuple[str, ...], missing: tuple[str, ...]) -> str:
    every = [a for a in arch.ARCHITECTURES if a in image or a in missing]
    return f"if it has {' and '.join(missing)} too, list it in architectures ([{', '.join(every)}])"


_ECS_ADVICE = {arch.AMD64: "choose an x86 instance type (e.g. t3.medium)",
               arch.ARM64: "choose a Graviton instance type (e.g. t4g.medium)"}
_NODE_ADVICE = {arch.AMD64: "add a node group of x86 instance types (e.g. m6i.large)",
                arch.ARM64: "add a node group of Graviton instance types (e.g. m7g.large)"}


def service_architectures(config: StackConfig) -> Iterator[Problem]:
    """The image must have an architecture that each of the service's platforms runs: ECS on
    Fargate runs both, on EC2 its instances' one; EKS Fargate amd64 only, EKS node groups their
    instances' (shipyard/architectures.py). Where some match, pods are kept to matching nodes
    and ECS tasks run a matching architecture."""
    enabled = config.enabled_platforms()
    eks = config.eks
    for index, service in enumerate(config.services):
        at = ("services", index, "architectures")
        if service.build is not None:
            if service.architectures is not None:
                yield at, ("not used with build: the image is built for every architecture the "
                           "service's capacity runs")
            continue
        if not (service.image or service.repository):
            continue  # no image at all: service_images says so
        image = arch.image_architectures(config, service)
        claim = _image_claim(service, image)
        platforms = [p for p in config.platforms_of(service) if p in enabled]
        ecs_runs = arch.ecs_capacity(config)
        if "ecs" in platforms and not set(image) & set(ecs_runs):
            yield at, (f"{claim}, but ECS runs its tasks on {config.ecs.ec2.instance_type} "
                       f"instances (shipyard:ecs.ec2.instanceType), which are "
                       f"{' and '.join(ecs_runs)}: {_list_them(image, ecs_runs)}, or "
                       f"{_ECS_ADVICE[image[0]]}")
        profile = arch.eks_fargate_profile(config)
        groups = arch.schedulable_node_groups(config)
        if "eks" not in platforms or not (profile or groups):
            continue  # the pods have no capacity at all: eks_cluster / eks_fargate_pods say so
        eks_runs = arch.eks_capacity(config)
        if set(image) & set(eks_runs):
            continue
        if profile:
            yield at, (f"{claim}, but EKS runs the namespace '{eks.namespace}' on Fargate "
                       f"(fargateProfiles '{profile.name}') and EKS Fargate runs amd64 only: "
                       f"{_list_them(image, eks_runs)}, or take the namespace out of the profile "
                       f"to run the pods on {' and '.join(image)} node groups")
        else:
            listed = ", ".join(f"{g.name}: {' and '.join(arch.node_group_architectures(g))}"
                               for g in groups)
            yield at, (f"{claim}, but the EKS node groups its pods may be scheduled on are "
                       f"{' and '.join(eks_runs)} only ({listed}): {_list_them(image, eks_runs)}, "
                       f"or {_NODE_ADVICE[image[0]]}")


def ecs_task_sizes(config: StackConfig) -> Iterator[Problem]:
    on_ecs = config.services_on("ecs")
    for index, service in enumerate(config.services):
        if service in on_ecs:
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
        if service in on_ecs:
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
    """What Shipyard creates on the shared ALB (components/load_balancer.py, ecs_service.py):
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


# ECS service quotas: a task definition is at most 64 KiB (RegisterTaskDefinition fails above).
TASK_DEFINITION_MAX_BYTES = 64 * 1024


def ecs_environment_size(config: StackConfig) -> Iterator[Problem]:
    for index, service in enumerate(config.services):
        if config.runs_on(service, "ecs"):
            entries = [{"name": key, "value": value} for key, value in service.env.items()]
            size = len(json.dumps(entries).encode())
            if size > TASK_DEFINITION_MAX_BYTES:
                yield ("services", index, "env"), (
                    f"takes {size} bytes in the task definition, over ECS's 64 KiB limit for a "
                    f"whole task definition: move large values into a secret or a file")


# botocore's ECS model, ContainerDefinition `image`: "For images using tags
# (repository-url/image:tag), up to 255 characters total are allowed ... For images using
# digests (repository-url/image@digest), the 255 character limit applies only to the repository
# URL and image name (everything before the @ sign)" (the shape itself is a plain String, no
# `max`: RegisterTaskDefinition refuses the longer reference at deploy time).
ECS_IMAGE_MAX = 255


# Any 12-digit account: only the reference's length matters here.
_ANY_ACCOUNT = "0" * 12


def ecs_image_length(config: StackConfig, region: str) -> Iterator[Problem]:
    """The image reference each ECS task definition names, as Shipyard would send it."""
    for index, service in enumerate(config.services):
        if not config.runs_on(service, "ecs"):
            continue
        if service.image:
            # by digest, only the name counts (and the reference grammar holds it to 255)
            key, counted, form = "image", service.image.partition("@")[0], ""
            fix = "use a shorter repository path or tag, or refer to the image by digest"
        elif service.build and service.repository:
            key, counted = "repository", ecr_repository_url(_ANY_ACCOUNT, region, service.repository)
            form = " (<account>.dkr.ecr.<region>.amazonaws.com/<repository>, before @<digest>)"
            fix = "use a shorter ECR repository name"
        elif service.repository and service.tag:
            key = "tag"
            counted = f"{ecr_repository_url(_ANY_ACCOUNT, region, service.repository)}:{service.tag}"
            form = " (<account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag>)"
            fix = "use a shorter ECR repository name or tag"
        else:
            continue
        if len(counted) > ECS_IMAGE_MAX:
            yield ("services", index, key), (
                f"the image reference the task definition names{form} is {len(counted)} "
                f"characters, over the {ECS_IMAGE_MAX} ECS accepts: {fix}")


def unused_settings(config: StackConfig) -> Iterator[Problem]:
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


def service_calls(config: StackConfig) -> Iterator[Problem]:
    by_name = {s.name: s for s in config.services}
    problems = []
    for index, service in enumerate(config.services):
        listed: set[str] = set()
        for position, callee in enumerate(service.calls):
            at = ("services", index, "calls", position)
            if callee == service.name:
                problems.append((at, f"'{callee}' is this service itself: its replicas need no "
                                     "declaration to reach each other"))
            elif callee in listed:
                problems.append((at, f"'{callee}' is listed twice"))
            elif callee not in by_name:
                problems.append((at, f"'{callee}' is not a service in shipyard:services "
                                     f"(services: {', '.join(sorted(by_name))})"))
            else:
                missing = [p for p in config.platforms_of(service)
                           if p not in config.platforms_of(by_name[callee])]
                if missing:
                    problems.append((at, f"'{callee}' does not run on {', '.join(missing)}, where "
                                         f"'{service.name}' runs: a service calls only services on "
                                         "its own platforms"))
            listed.add(callee)
    yield from problems
    cycle = None if problems else find_cycle(config.services_on("ecs"))
    if cycle:
        index = next(i for i, s in enumerate(config.services) if s.name == cycle[0])
        yield ("services", index, "calls"), (
            f"calls form a cycle on ECS ({' -> '.join(cycle)}): a Service Connect client reaches "
            "only services that were running before it started, so each must start after those "
            "it calls")


def custom_domains(config: StackConfig) -> Iterator[Problem]:
    zone = config.dns.zone
    first_use: dict[str, int] = {}
    for index, service in enumerate(config.services):
        if service.domain is None:
            continue
        at = ("services", index, "domain")
        if zone is None:
            yield at, ("needs shipyard:dns.zone: the Route 53 hosted zone its records and "
                       "certificate validation go in")
        elif not in_zone(service.domain, zone):
            yield at, f"'{service.domain}' is not in the zone '{zone}' (shipyard:dns.zone)"
        if service.domain in first_use:
            yield at, f"same domain as services[{first_use[service.domain]}]"
        first_use.setdefault(service.domain, index)
        if not service.public:
            yield at, "only public services get a domain: set public: true"
        platforms = config.platforms_of(service)
        if platforms and (len(platforms) != 1 or platforms[0] not in with_capability("domains")):
            only_on = " or ".join(f"only on {name}" for name in with_capability("domains"))
            yield at, ("a domain points at one AWS load balancer: run the service "
                       f"{only_on} (it runs on: {', '.join(platforms)})")
        if service.host:
            yield ("services", index, "host"), (
                "give either host or domain: the domain is the host the load balancer routes")


def _size_bounds(at: tuple[Any, ...], min_size: int, max_size: int,
                 desired: int | None = None) -> Iterator[Problem]:
    if min_size > max_size:
        yield (*at, "minSize"), f"must be <= maxSize ({max_size})"
    if desired is not None and not min_size <= desired <= max_size:
        yield (*at, "desiredSize"), f"must be between minSize ({min_size}) and maxSize ({max_size})"


def _autoscaling_bounds(at: tuple[Any, ...], scaling: Autoscaling) -> Iterator[Problem]:
    if (scaling.min_replicas is not None and scaling.max_replicas is not None
            and scaling.min_replicas > scaling.max_replicas):
        yield (*at, "minReplicas"), f"must be <= maxReplicas ({scaling.max_replicas})"


def capacity_bounds(config: StackConfig) -> Iterator[Problem]:
    ec2 = config.ecs.ec2
    yield from _size_bounds(("ecs", "ec2"), ec2.min_size, ec2.max_size)
    for index, group in enumerate(config.eks.node_groups):
        yield from _size_bounds(("eks", "nodeGroups", index), group.min_size, group.max_size,
                                group.desired_size)
    for section in with_capability("autoscaling"):
        yield from _autoscaling_bounds((section, "autoscaling"),
                                       getattr(config, section).autoscaling)


def replicas_within_autoscaling(config: StackConfig) -> Iterator[Problem]:
    enabled = config.enabled_platforms()
    for platform in with_capability("autoscaling"):
        scaling = getattr(config, platform).autoscaling
        if platform not in enabled or not scaling.enabled or scaling.min_replicas is not None:
            continue
        for index, service in enumerate(config.services):
            if config.runs_on(service, platform):
                bounds = replica_bounds(service, scaling)
                if bounds.min > bounds.max:
                    yield ("services", index, "replicas"), (
                        f"must be <= shipyard:{platform}.autoscaling.maxReplicas ({bounds.max})")


def eks_cluster(config: StackConfig) -> Iterator[Problem]:
    eks = config.eks
    if not eks.enabled:
        return
    if not eks.node_groups and not eks.fargate_profiles:
        yield ("eks", "nodeGroups"), (
            "EKS needs capacity: add a node group or a Fargate profile (eks.fargateProfiles)")
    if config.eks_endpoint_public and not eks.public_access_cidrs:
        yield ("eks", "publicAccessCidrs"), (
            "required while the endpoint is public: list the CIDRs allowed to reach it "
            "(0.0.0.0/0 for anyone), or set endpointPublicAccess to false")
    for index, group in enumerate(eks.node_groups):
        at = ("eks", "nodeGroups", index)
        if group.type == "selfManaged":
            if len(group.instance_types) != 1:
                yield (*at, "instanceTypes"), "selfManaged node groups take exactly one instance type"
            if group.capacity_type == "SPOT" and group.spot_price is None:
                yield (*at, "spotPrice"), "required for selfManaged SPOT node groups"
        if group.spot_price is not None and not (
                group.type == "selfManaged" and group.capacity_type == "SPOT"):
            yield (*at, "spotPrice"), "only used by selfManaged SPOT node groups"


# Label prefixes EKS managed node groups refuse (kubernetes/cloud-provider-aws#242,
# aws/containers-roadmap#1451) and those the kubelet refuses in --node-labels unless allowed
# (k8s.io/kubernetes cmd/kubelet/app/options, KubeletLabelNamespaces / KubeletLabels).
_MANAGED_RESERVED_DOMAINS = ("kubernetes.io", "k8s.io", "eks.amazonaws.com")
_KUBELET_LABEL_DOMAINS = ("kubelet.kubernetes.io", "node.kubernetes.io")
_KUBELET_LABELS = {
    "kubernetes.io/hostname", "kubernetes.io/arch", "kubernetes.io/os",
    "beta.kubernetes.io/arch", "beta.kubernetes.io/os", "beta.kubernetes.io/instance-type",
    "node.kubernetes.io/instance-type", "failure-domain.beta.kubernetes.io/region",
    "failure-domain.beta.kubernetes.io/zone", "topology.kubernetes.io/region",
    "topology.kubernetes.io/zone"}


def _in_domain(domain: str, parents: tuple[str, ...]) -> bool:
    return any(domain == parent or domain.endswith("." + parent) for parent in parents)


def _label_key_problem(group: NodeGroup, key: str) -> str | None:
    domain = key.split("/", 1)[0] if "/" in key else ""
    if group.type == "managed":
        problem = aws_models.problem(key, aws_models.shape("eks", "labelKey"), "EKS")
        if problem:
            return problem
        if _in_domain(domain, _MANAGED_RESERVED_DOMAINS):
            return f"uses the reserved prefix '{domain}/', which EKS managed node groups refuse"
    elif (_in_domain(domain, ("kubernetes.io", "k8s.io")) and key not in _KUBELET_LABELS
          and not _in_domain(domain, _KUBELET_LABEL_DOMAINS)):
        return (f"uses the reserved prefix '{domain}/', which the kubelet refuses in "
                f"--node-labels (allowed there: kubelet.kubernetes.io/, node.kubernetes.io/)")
    return None


def node_group_labels_and_taints(config: StackConfig) -> Iterator[Problem]:
    """EKS's API limits for managed groups (botocore: labelKey/labelValue/taintKey/taintValue);
    the kubelet's for self-managed ones; no repeated taint."""
    for index, group in enumerate(config.eks.node_groups):
        at = ("eks", "nodeGroups", index)
        for key, value in group.labels.items():
            problem = _label_key_problem(group, key)
            if problem:
                yield (*at, "labels", key), problem
            elif group.type == "managed":
                problem = aws_models.problem(value, aws_models.shape("eks", "labelValue"), "EKS")
                if problem:
                    yield (*at, "labels", key), f"value {problem}"
        for position, taint in enumerate(group.taints):
            if group.type == "managed":
                for field, value in (("key", taint.key), ("value", taint.value)):
                    problem = aws_models.problem(
                        value, aws_models.member_shape("eks", "Taint", field), "EKS")
                    if problem:
                        yield (*at, "taints", position, field), problem
        # A node has one taint per key and effect (Kubernetes' node validation: "taints must be
        # unique by key and effect pair"); a second one would be refused, or lost.
        for position, first, (key, effect) in _repeats([(t.key, t.effect) for t in group.taints]):
            yield (*at, "taints", position, "key"), (
                f"repeats taints[{first}] ({key} {effect}): a node has one taint per key and "
                f"effect")


def node_group_architecture(config: StackConfig) -> Iterator[Problem]:
    """A managed node group has one AMI type, so one CPU architecture."""
    for index, group in enumerate(config.eks.node_groups):
        kinds = {is_graviton(t) for t in group.instance_types}
        if group.type == "managed" and len(kinds) > 1:
            arm = [t for t in group.instance_types if is_graviton(t)]
            yield ("eks", "nodeGroups", index, "instanceTypes"), (
                f"mixes arm64 (Graviton: {', '.join(arm)}) and x86_64 instance types, but a "
                f"managed node group has one AMI type: split it into two groups")


def eks_system_capacity(config: StackConfig) -> Iterator[Problem]:
    """CoreDNS and metrics-server need a node they may run on, or Fargate; without one the
    CoreDNS add-on never becomes healthy and `pulumi up` times out."""
    eks = config.eks
    if not eks.enabled:
        return
    for index, profile in enumerate(eks.fargate_profiles):
        if profile.name in FARGATE_SYSTEM_PROFILES:
            yield ("eks", "fargateProfiles", index, "name"), (
                f"'{profile.name}' is reserved for Shipyard's own system profiles")
    # minSize, not desiredSize: the capacity that stays however the group is scaled.
    if eks.node_groups and not any(
            group.min_size >= 1 and not any(t.effect in BLOCKING_TAINT_EFFECTS for t in group.taints)
            for group in eks.node_groups):
        yield ("eks", "nodeGroups"), (
            "no node group can run the cluster's own add-ons (CoreDNS, metrics-server): give one "
            "group minSize >= 1 and no NoSchedule/NoExecute taint")


def eks_fargate_pods(config: StackConfig) -> Iterator[Problem]:
    """Pods run on Fargate when their namespace is in a Fargate profile, or when there are no
    nodes at all."""
    eks = config.eks
    services = config.services_on("eks")
    if not eks.enabled or not services:
        return
    covered = any(eks.namespace in profile.namespaces for profile in eks.fargate_profiles)
    if not eks.node_groups and not covered:
        yield ("eks", "fargateProfiles"), (
            f"no Fargate profile covers the services' namespace '{eks.namespace}' and there are no "
            "node groups: their pods would stay Pending (add it to a profile's namespaces)")
    if covered or not eks.node_groups:
        for index, service in enumerate(config.services):
            if service.public and service in services:
                yield ("services", index, "public"), (
                    "public services cannot run on EKS Fargate pods: the cluster's load balancers "
                    "target nodes, and Fargate pods have none (run the service on a node group, "
                    "on ECS, or keep it private)")


def eks_reachable_on_first_up(config: StackConfig) -> Iterator[Problem]:
    """Some network must reach the API endpoint when the first `pulumi up` deploys the services
    onto the cluster it has just created (shipyard/reachability.py)."""
    eks = config.eks
    if not eks.enabled or config.eks_endpoint_public:
        return
    if not config.network.existing and not config.deploy.bootstrapped:
        default = " (the production default)" if eks.endpoint_public_access is None else ""
        yield ("eks", "endpointPublicAccess"), (
            f"the API endpoint is private{default} in a VPC this stack creates, so nothing can "
            "reach it on the first `pulumi up` (neither the VPC nor a VPN, peering or transit "
            "gateway to it exists yet) and every Kubernetes object would fail: make it public "
            "to your runner's egress (endpointPublicAccess: true, publicAccessCidrs), deploy "
            "into an existing VPC your runner reaches (shipyard:network.vpcId), or, once the "
            "stack exists, set shipyard:deploy.bootstrapped (README: where `pulumi up` runs)")
    elif not eks.private_access_cidrs:
        yield ("eks", "privateAccessCidrs"), (
            "required while the API endpoint is private: list the networks `pulumi up` runs from "
            "(a VPN range, a CI runner's subnet), or Shipyard cannot deploy to the cluster")


def deployer_addresses(config: StackConfig) -> Iterator[Problem]:
    deploy = config.deploy
    if not reachability.is_github_hosted(deploy.runs_on):
        return
    for key, value in (("egressCidrs", deploy.egress_cidrs), ("privateCidrs", deploy.private_cidrs)):
        if value:
            yield ("deploy", key), (
                f"shipyard:deploy.runsOn is {deploy.runs_on[0]}, a GitHub-hosted runner, which has "
                "no fixed address and no network of yours: give the labels of your own runner "
                "(self-hosted, or a larger runner with static addresses) in runsOn")


def deployer_reaches_cluster(config: StackConfig) -> Iterator[Problem]:
    """The declared runner (`shipyard:deploy`) must get into each cluster API it deploys to."""
    who = reachability.deployer(config)
    if not who.declared or any(True for _ in deployer_addresses(config)):
        return  # undeclared: `plan` says where to run; hosted with addresses: reported above
    for api in reachability.cluster_apis(config):
        if not any(reachability.usable(way, who) for way in api.ways):
            continue  # nothing reaches it on the first up: eks_reachable_on_first_up says so
        if reachability.reaches(api, who) is False:
            yield ("deploy", "runsOn"), (
                f"the runner ({who.label}) cannot reach {api.name}, which `pulumi up` deploys "
                f"the services through: {reachability.refusals(api, who)}. Admit its egress in "
                "shipyard:eks.publicAccessCidrs or its network in shipyard:eks.privateAccessCidrs, "
                "or run on a runner that is (README: where `pulumi up` runs)")


def kubernetes_target(config: StackConfig) -> Iterator[Problem]:
    kubeconfig = config.kubernetes.kubeconfig
    if kubeconfig is None:
        return
    try:
        document = yaml.safe_load(kubeconfig)
    except yaml.YAMLError:
        document = None
    if not isinstance(document, dict) or not document.get("clusters"):
        yield ("kubernetes", "kubeconfig"), "must be a kubeconfig document (YAML or JSON with clusters)"
        return
    # The Kubernetes provider (client-go clientcmd) reads `clusters` as a list of named entries,
    # each `{name: ..., cluster: {server: ...}}`; anything else fails only when `pulumi up`
    # connects.
    shape = "each entry of clusters must be {name: <name>, cluster: {server: https://...}}"
    clusters = document["clusters"]
    if not isinstance(clusters, list):
        yield ("kubernetes", "kubeconfig"), (
            f"clusters must be a list of named clusters, not a {type(clusters).__name__}: {shape}")
        return
    for index, entry in enumerate(clusters):
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) \
                or not entry["name"]:
            yield ("kubernetes", "kubeconfig"), f"clusters[{index}] has no name: {shape}"
        elif not isinstance(entry.get("cluster"), dict) \
                or not isinstance(entry["cluster"].get("server"), str):
            yield ("kubernetes", "kubeconfig"), (
                f"clusters[{index}] ('{entry['name']}') has no cluster.server: {shape}")


def _region_of(arn: str) -> str:
    return arn.split(":")[3]


def same_region(config: StackConfig, region: str) -> Iterator[Problem]:
    """ACM certificates, KMS keys, WAF web ACLs and the secrets read for Kubernetes must live in
    the stack's region: each of those AWS services refuses a resource from another region."""
    balancer = config.ecs.load_balancer
    keys = [(("ecs", "loadBalancer", "certificateArn"), balancer.certificate_arn,
             "an ALB takes ACM certificates from its own region"),
            (("ecs", "loadBalancer", "webAclArn"), balancer.web_acl_arn,
             "a regional WAF web ACL protects load balancers in its own region"),
            (("eks", "kmsKeyArn"), config.eks.kms_key_arn,
             "EKS takes a KMS key from the cluster's region"),
            (("logs", "kmsKeyArn"), config.logs.kms_key_arn,
             "CloudWatch Logs takes a KMS key from the log group's region")]
    keys += [(("ecr", "repositories", index, "kmsKeyArn"), repository.kms_key_arn,
              "ECR takes a KMS key from the repository's region")
             for index, repository in enumerate(config.ecr.repositories)]
    for at, arn, why in keys:
        if arn and _region_of(arn) != region:
            yield at, f"is in {_region_of(arn)}, but the stack deploys to {region} (aws:region): {why}"
    # ECS reads secrets from any region by full ARN; for other targets Shipyard reads them at
    # `pulumi up` through the stack's AWS provider, whose Secrets Manager and SSM calls are regional.
    for index, service in enumerate(config.services):
        read_at_deploy = [PLATFORMS[p].title for p in config.platforms_of(service)
                          if PLATFORMS[p].secrets_at_deploy]
        if read_at_deploy:
            for name, arn in service.secrets.items():
                if _region_of(arn) != region:
                    yield ("services", index, "secrets", name), (
                        f"is in {_region_of(arn)}, but Shipyard reads the secrets of "
                        f"{' and '.join(read_at_deploy)} services in {region} (aws:region) at "
                        f"`pulumi up`: use a secret (or a replica) in {region}")


def ecr_images_without_nat(config: StackConfig, region: str) -> Iterator[Problem]:
    """Without NAT, the ECR interface endpoints reach the stack's own region's registries only."""
    if config.network.existing or config.network.nat_gateways != "none":
        return
    for index, service in enumerate(config.services):
        image_region = ecr_region(service.image) if service.image else None
        if (_in_vpc(config, service) and image_region
                and image_region != region):
            yield ("services", index, "image"), (
                f"is in ECR in {image_region}, but without NAT (shipyard:network.natGateways is "
                f"'none') private subnets reach only {region}'s ECR (aws:region), through its "
                f"endpoints: replicate the repository to {region} or add a NAT gateway")


def waivers(config: StackConfig) -> Iterator[Problem]:
    seen: dict[str, int] = {}
    for index, waiver in enumerate(config.waivers):
        at = ("waivers", index, "control")
        if config.production:
            yield at, "production stacks cannot waive controls: fix what fails instead"
        elif waiver.control in seen:
            yield at, f"'{waiver.control}' is already waived at waivers[{seen[waiver.control]}]"
        seen.setdefault(waiver.control, index)


def security_settings(config: StackConfig) -> Iterator[Problem]:
    balancer = config.ecs.load_balancer
    at = ("ecs", "loadBalancer")
    if balancer.managed_web_acl and balancer.web_acl_arn:
        yield (*at, "webAclArn"), "give either webAclArn or managedWebAcl, not both"
    if balancer.access_logs is False:
        if balancer.access_logs_bucket is not None:
            yield (*at, "accessLogsBucket"), "set, but accessLogs is false"
        if config.production:
            yield (*at, "accessLogs"), "production stacks keep ALB access logs (Security Hub ELB.5)"
    if config.logs.kms_encryption is False and config.logs.kms_key_arn is not None:
        yield ("logs", "kmsKeyArn"), "set, but kmsEncryption is false"


RULES = (unique_names, repository_logical_names, admin_principals, existing_vpc, explicit_zones,
         private_egress, images_without_nat, used_repositories, service_images, service_platforms,
         service_architectures,
         ecs_task_sizes, ecs_tasks_fit_instances, ecs_routes, alb_rule_quota,
         ecs_environment_size, unused_settings, service_calls, custom_domains, capacity_bounds,
         replicas_within_autoscaling, eks_cluster, eks_system_capacity, eks_fargate_pods,
         eks_reachable_on_first_up, deployer_addresses, deployer_reaches_cluster,
         node_group_labels_and_taints, node_group_architecture,
         kubernetes_target, waivers, security_settings)
REGIONAL_RULES = (same_region, ecr_images_without_nat, ecs_image_length)
