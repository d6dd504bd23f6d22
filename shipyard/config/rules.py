"""Checks that span several keys, run once the config has the right shape.

Each rule yields `(key location, message)`; :mod:`shipyard.config.load` turns the location into
the full key path. Single-key checks (types, ranges, name patterns) live in the schema.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Iterator

import yaml

from shipyard import PROJECT_ROOT
from shipyard.calls import find_cycle
from shipyard.config.schema import Autoscaling, StackConfig
from shipyard.ecs_task import task_size, uses_service_connect
from shipyard.eks_nodes import BLOCKING_TAINT_EFFECTS, FARGATE_SYSTEM_PROFILES
from shipyard.fargate import NoFargateSize
from shipyard.image_build import context_problems
from shipyard.routing import in_zone, route_host
from shipyard.scaling import replica_bounds

Problem = tuple[tuple[Any, ...], str]


def cross_field_problems(config: StackConfig) -> list[Problem]:
    return [problem for rule in RULES for problem in rule(config)]


def _duplicates(section: tuple[Any, ...], names: list[str]) -> Iterator[Problem]:
    counts = Counter(names)
    first_index: dict[str, int] = {}
    for index, name in enumerate(names):
        if name in first_index and counts[name] > 1:
            yield (*section, index, "name"), (
                f"duplicate name '{name}' (also at index {first_index[name]})")
        first_index.setdefault(name, index)


def unique_names(config: StackConfig) -> Iterator[Problem]:
    yield from _duplicates(("ecr", "repositories"), [r.name for r in config.ecr.repositories])
    yield from _duplicates(("services",), [s.name for s in config.services])
    yield from _duplicates(("eks", "nodeGroups"), [g.name for g in config.eks.node_groups])
    yield from _duplicates(("eks", "fargateProfiles"), [p.name for p in config.eks.fargate_profiles])


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
            elif isinstance(value, list) and len(value) < 2:
                yield ("network", key), "needs subnets in at least 2 availability zones"


def private_egress(config: StackConfig) -> Iterator[Problem]:
    network = config.network
    needs_egress = config.ecs.enabled or config.eks.enabled
    if (needs_egress and not network.existing and network.nat_gateways == "none"
            and not network.vpc_endpoints):
        yield ("network", "natGateways"), (
            "'none' leaves private subnets without egress, but ECS/EKS tasks there must pull "
            "images and reach AWS APIs: use 'single' or 'perAz', or set network.vpcEndpoints")


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
    for index, service in enumerate(config.services):
        if service.public and service in config.services_on("ecs"):
            route = (route_host(service), service.path)
            # Two services on one domain are reported once, by custom_domains.
            if route in seen and not service.domain:
                yield ("services", index, "path"), (
                    f"same ALB route (host {route[0] or 'any'}, path {service.path}) as "
                    f"services[{seen[route]}]; set host or path")
            seen.setdefault(route, index)


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
        if platforms and platforms not in (["ecs"], ["eks"]):
            yield at, ("a domain points at one AWS load balancer: run the service only on ecs or "
                       f"only on eks (it runs on: {', '.join(platforms)})")
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
    for section in ("ecs", "eks", "kubernetes"):
        yield from _autoscaling_bounds((section, "autoscaling"),
                                       getattr(config, section).autoscaling)


def replicas_within_autoscaling(config: StackConfig) -> Iterator[Problem]:
    enabled = config.enabled_platforms()
    for platform in ("ecs", "eks", "kubernetes"):
        scaling = getattr(config, platform).autoscaling
        if platform not in enabled or not scaling.enabled or scaling.min_replicas is not None:
            continue
        for index, service in enumerate(config.services):
            if service in config.services_on(platform):
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
        elif group.spot_price is not None:
            yield (*at, "spotPrice"), "only used by selfManaged SPOT node groups"


def eks_system_capacity(config: StackConfig) -> Iterator[Problem]:
    """CoreDNS and metrics-server need a node they may run on, or Fargate; without one the
    CoreDNS add-on never becomes healthy and `pulumi up` times out."""
    eks = config.eks
    if not eks.enabled or not eks.node_groups:
        return
    if not any(group.min_size >= 1 and not any(t.effect in BLOCKING_TAINT_EFFECTS for t in group.taints)
               for group in eks.node_groups):
        yield ("eks", "nodeGroups"), (
            "no node group can run the cluster's own add-ons (CoreDNS, metrics-server): give one "
            "group minSize >= 1 and no NoSchedule/NoExecute taint")
    for index, profile in enumerate(eks.fargate_profiles):
        if profile.name in FARGATE_SYSTEM_PROFILES:
            yield ("eks", "fargateProfiles", index, "name"), (
                f"'{profile.name}' is reserved for Shipyard's own system profiles")


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


def eks_private_endpoint(config: StackConfig) -> Iterator[Problem]:
    if config.eks.enabled and not config.eks_endpoint_public and not config.eks.private_access_cidrs:
        yield ("eks", "privateAccessCidrs"), (
            "required while the API endpoint is private: list the networks `pulumi up` runs from "
            "(a VPN range, a CI runner's subnet), or Shipyard cannot deploy to the cluster")


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


RULES = (unique_names, existing_vpc, private_egress, service_images, service_platforms,
         ecs_task_sizes, ecs_routes, service_calls, custom_domains, capacity_bounds,
         replicas_within_autoscaling, eks_cluster, eks_system_capacity, eks_fargate_pods,
         eks_private_endpoint, kubernetes_target, waivers, security_settings)
