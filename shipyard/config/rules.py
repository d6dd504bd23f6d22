"""Checks that span several keys, run once the config has the right shape.

Each rule yields `(key location, message)`; :mod:`shipyard.config.load` turns the location into
the full key path. Single-key checks (types, ranges, name patterns) live in the schema.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Iterator

import yaml

from shipyard.config.schema import Autoscaling, Repository, Service, StackConfig
from shipyard.endpoints import pulls_through_endpoints
from shipyard.fargate import NoFargateSize, right_size
from shipyard.instance_types import (ECS_RESERVED_MEMORY_MIB, InstanceSize, known_instance_types,
                                     size_of)
from shipyard.routing import rule_priority
from shipyard.scaling import replica_bounds

Problem = tuple[tuple[Any, ...], str]


def cross_field_problems(config: StackConfig) -> list[Problem]:
    return [problem for rule in RULES for problem in rule(config)]


def _duplicates(section: tuple[Any, ...], names: list[str],
                field: str | None = "name") -> Iterator[Problem]:
    counts = Counter(names)
    first_index: dict[str, int] = {}
    for index, name in enumerate(names):
        if name in first_index and counts[name] > 1:
            yield (*section, index, *((field,) if field else ())), (
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


def explicit_zones(config: StackConfig) -> Iterator[Problem]:
    network = config.network
    names = network.availability_zone_names
    if names is None:
        return
    yield from _duplicates(("network", "availabilityZoneNames"), list(names), field=None)
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
        in_vpc = {"ecs", "eks"} & set(config.platforms_of(service))
        if in_vpc and service.image and not pulls_through_endpoints(service.image):
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
    taken: dict[int, int] = {}
    for index, service in enumerate(config.services):
        if service.public and service in config.services_on("ecs"):
            route = (service.host, service.path)
            if route in seen:
                yield ("services", index, "path"), (
                    f"same ALB route (host {service.host or 'any'}, path {service.path}) as "
                    f"services[{seen[route]}]; set host or path")
                continue
            seen.setdefault(route, index)
            priority = rule_priority(service)
            if priority in taken:
                origin = "" if service.priority is not None else " (derived from its route)"
                yield ("services", index, "priority"), (
                    f"listener rule priority {priority}{origin} is also services[{taken[priority]}]'s: "
                    "set priority to a free number (lower numbers are evaluated first)")
            taken.setdefault(priority, index)
        elif service.priority is not None:
            yield ("services", index, "priority"), "only used by public services on ECS"


def instance_types(config: StackConfig) -> Iterator[Problem]:
    """Instance types EC2 knows, and ECS tasks no larger than what one instance offers them."""
    ecs = config.ecs
    if ecs.enabled and ecs.capacity == "ec2":
        instance_type = ecs.ec2.instance_type
        if instance_type not in known_instance_types():
            yield ("ecs", "ec2", "instanceType"), _unknown_instance_type(instance_type)
        elif (size := size_of(instance_type)) is not None:
            for index, service in enumerate(config.services):
                if service in config.services_on("ecs"):
                    yield from _task_fits(("services", index), service, instance_type, size)
    if config.eks.enabled:
        for index, group in enumerate(config.eks.node_groups):
            for position, instance_type in enumerate(group.instance_types):
                if instance_type not in known_instance_types():
                    yield (("eks", "nodeGroups", index, "instanceTypes", position),
                           _unknown_instance_type(instance_type))


def _unknown_instance_type(instance_type: str) -> str:
    return f"'{instance_type}' is not an EC2 instance type (botocore's EC2 model lists them all)"


def _task_fits(at: tuple[Any, ...], service: Service, instance_type: str,
               size: InstanceSize) -> Iterator[Problem]:
    try:
        task = right_size(service.cpu, service.memory)
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


RULES = (unique_names, existing_vpc, explicit_zones, private_egress, images_without_nat,
         used_repositories, service_images, service_platforms, ecs_task_sizes, instance_types,
         ecs_routes, capacity_bounds, replicas_within_autoscaling, eks_cluster, kubernetes_target)
