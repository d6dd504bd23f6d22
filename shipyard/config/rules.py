"""Checks that span several keys, run once the config has the right shape.

Each rule yields `(key location, message)`; :mod:`shipyard.config.load` turns the location into
the full key path. Single-key checks (types, ranges, name patterns) live in the schema.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Iterator

import yaml

from shipyard.config.schema import Autoscaling, StackConfig
from shipyard.fargate import NoFargateSize, right_size
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
    declared = {r.name for r in config.ecr.repositories}
    for index, service in enumerate(config.services):
        at = ("services", index)
        if service.image and service.repository:
            yield (*at, "image"), "give either image or repository + tag, not both"
        elif not service.image and not service.repository:
            yield (*at, "image"), "required (or repository + tag)"
        elif service.image:
            problem = _image_tag_problem(service.image)
            if problem:
                yield (*at, "image"), problem
            if service.tag:
                yield (*at, "tag"), "only used with repository"
        else:
            if service.repository not in declared:
                yield (*at, "repository"), (
                    f"'{service.repository}' is not declared in shipyard:ecr.repositories"
                    + (f" (declared: {', '.join(sorted(declared))})" if declared else ""))
            if not service.tag:
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
    for index, service in enumerate(config.services):
        if service in config.services_on("ecs"):
            try:
                right_size(service.cpu, service.memory)
            except NoFargateSize as error:
                key = "cpu" if service.cpu * 1024 > 16384 else "memory"
                yield ("services", index, key), str(error)


def ecs_routes(config: StackConfig) -> Iterator[Problem]:
    seen: dict[tuple[str | None, str], int] = {}
    for index, service in enumerate(config.services):
        if service.public and service in config.services_on("ecs"):
            route = (service.host, service.path)
            if route in seen:
                yield ("services", index, "path"), (
                    f"same ALB route (host {service.host or 'any'}, path {service.path}) as "
                    f"services[{seen[route]}]; set host or path")
            seen.setdefault(route, index)


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
         ecs_task_sizes, ecs_routes, capacity_bounds, replicas_within_autoscaling, eks_cluster,
         kubernetes_target, waivers, security_settings)
