"""Checks that span several keys, run once the config has the right shape.

Each rule yields `(key location, message)`; :mod:`shipyard.config.load` turns the location into
the full key path. Single-key checks (types, ranges, name patterns) live in the schema.
"""

from __future__ import annotations

from typing import Any, Callable, Iterator, Optional

from shipyard import PROJECT_ROOT
from shipyard.aws import reachability
from shipyard.aws.endpoints import ecr_region
from shipyard.aws.naming import repository_logical_name
from shipyard.config.schema import Repository, Service, StackConfig
from shipyard.config.types import Autoscaling
from shipyard.platforms import PLATFORMS, with_capability
from shipyard.services.image_build import context_problems
from shipyard.services.routing import in_zone
from shipyard.services.scaling import replica_bounds

Problem = tuple[tuple[Any, ...], str]


def cross_field_problems(config: StackConfig, region: Optional[str] = None) -> list[Problem]:
    """Every rule's problems; `region` (the stack's `aws:region`) enables the regional rules."""
    platform_rules = [platform.hook("rules") for platform in PLATFORMS.values()]
    problems = [problem for rule in (*RULES, *(r for rules in platform_rules for r in rules.RULES))
                for problem in rule(config)]
    if region:
        regional = (*REGIONAL_RULES, *(r for rules in platform_rules
                                       for r in getattr(rules, "REGIONAL_RULES", ())))
        problems += [problem for rule in regional for problem in rule(config, region)]
    return problems


def stack_problems(config: StackConfig, prefix: str,
                   is_secret: Callable[[str], bool]) -> list[Problem]:
    """The rules that need what only the running program knows: the stack's `<project>-<stack>`
    prefix and which values (`swarm.keyMaterial`) are Pulumi secrets. Each platform's
    `STACK_RULES`, run by :func:`shipyard.config.load.from_pulumi` before any resource exists."""
    return [problem for platform in PLATFORMS.values()
            for rule in getattr(platform.hook("rules"), "STACK_RULES", ())
            for problem in rule(config, prefix, is_secret)]


def platform_notes(config: StackConfig) -> list[str]:
    """What the platforms cannot do for this config, to say in `plan` and `check` (not errors):
    each platform's `NOTES`."""
    return [note for platform in PLATFORMS.values()
            for notes in getattr(platform.hook("rules"), "NOTES", ()) for note in notes(config)]


def _either(choices: list[str]) -> str:
    """'a, b or c'."""
    return " or ".join(filter(None, (", ".join(choices[:-1]), choices[-1])))


def repeats(values: list[Any]) -> Iterator[tuple[int, int, Any]]:
    """`(index, index of its first occurrence, value)` for every value seen before."""
    first: dict[Any, int] = {}
    for index, value in enumerate(values):
        if value in first:
            yield index, first[value], value
        first.setdefault(value, index)


def duplicates(section: tuple[Any, ...], names: list[str]) -> Iterator[Problem]:
    for index, first, name in repeats(names):
        yield (*section, index, "name"), f"duplicate name '{name}' (also at index {first})"


def unique_names(config: StackConfig) -> Iterator[Problem]:
    yield from duplicates(("ecr", "repositories"), [r.name for r in config.ecr.repositories])
    yield from duplicates(("services",), [s.name for s in config.services])


def repository_logical_names(config: StackConfig) -> Iterator[Problem]:
    """`shop/api` and `shop-api` are two ECR names but one Pulumi name: their URNs would collide."""
    names = [r.name for r in config.ecr.repositories]
    for index, other, logical in repeats([repository_logical_name(n) for n in names]):
        if names[index] != names[other]:  # the same name twice is a duplicate name
            yield ("ecr", "repositories", index, "name"), (
                f"'{names[index]}' and repositories[{other}] ('{names[other]}') both become the "
                f"Pulumi resource name '{logical}': rename one")


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
    for index, first, subnet in repeats(subnets):
        yield (*at, index), f"repeats {subnet} (also at index {first})"


def explicit_zones(config: StackConfig) -> Iterator[Problem]:
    network = config.network
    names = network.availability_zone_names
    if names is None:
        return
    for index, first, name in repeats(list(names)):
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
    in_vpc = [PLATFORMS[p].title for p in config.enabled_platforms() if PLATFORMS[p].in_vpc]
    if (in_vpc and not network.existing and network.nat_gateways == "none"
            and not network.vpc_endpoints):
        yield ("network", "natGateways"), (
            f"'none' leaves private subnets without egress, but containers there "
            f"({' and '.join(in_vpc)}) must pull images and reach AWS APIs: use 'single' or "
            "'perAz', or set network.vpcEndpoints")


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
                    "no compute platform is enabled to run it (enable "
                    f"{_either([f'shipyard:{name}' for name in PLATFORMS])})")
            continue
        for position, platform in enumerate(service.run_on):
            if platform not in enabled:
                yield ("services", index, "runOn", position), (
                    f"'{platform}' is not enabled in this stack (enabled: "
                    f"{', '.join(enabled) or 'none'})")


def build_takes_no_architectures(config: StackConfig) -> Iterator[Problem]:
    """A built image has every architecture its capacity runs; each platform's rules check a
    prebuilt image's against its capacity (shipyard/services/architectures.py)."""
    for index, service in enumerate(config.services):
        if service.build is not None and service.architectures is not None:
            yield ("services", index, "architectures"), (
                "not used with build: the image is built for every architecture the service's "
                "capacity runs")


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


def size_bounds(at: tuple[Any, ...], min_size: int, max_size: int,
                 desired: int | None = None) -> Iterator[Problem]:
    if min_size > max_size:
        yield (*at, "minSize"), f"must be <= maxSize ({max_size})"
    if desired is not None and not min_size <= desired <= max_size:
        yield (*at, "desiredSize"), f"must be between minSize ({min_size}) and maxSize ({max_size})"


def _autoscaling_bounds(at: tuple[Any, ...], scaling: Autoscaling) -> Iterator[Problem]:
    if (scaling.min_replicas is not None and scaling.max_replicas is not None
            and scaling.min_replicas > scaling.max_replicas):
        yield (*at, "minReplicas"), f"must be <= maxReplicas ({scaling.max_replicas})"


def autoscaling_bounds(config: StackConfig) -> Iterator[Problem]:
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
                f"the services through: {reachability.refusals(api, who)}. "
                f"{reachability.admission_advice(api)}")


def _region_of(arn: str) -> str:
    return arn.split(":")[3]


RegionalArn = tuple[tuple[Any, ...], Optional[str], str]  # (key, ARN or None, why it must match)


def arns_outside(region: str, keys: list[RegionalArn]) -> Iterator[Problem]:
    """Each given ARN that is not in the stack's region, with why its service refuses that."""
    for at, arn, why in keys:
        if arn and _region_of(arn) != region:
            yield at, f"is in {_region_of(arn)}, but the stack deploys to {region} (aws:region): {why}"


def same_region(config: StackConfig, region: str) -> Iterator[Problem]:
    """KMS keys and the secrets read at deploy time must live in the stack's region: each of
    those AWS services refuses a resource from another region (each platform checks its own
    keys' ARNs in its REGIONAL_RULES)."""
    keys: list[RegionalArn] = [(("logs", "kmsKeyArn"), config.logs.kms_key_arn,
                                "CloudWatch Logs takes a KMS key from the log group's region")]
    keys += [(("ecr", "repositories", index, "kmsKeyArn"), repository.kms_key_arn,
              "ECR takes a KMS key from the repository's region")
             for index, repository in enumerate(config.ecr.repositories)]
    yield from arns_outside(region, keys)
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


def log_settings(config: StackConfig) -> Iterator[Problem]:
    if config.logs.kms_encryption is False and config.logs.kms_key_arn is not None:
        yield ("logs", "kmsKeyArn"), "set, but kmsEncryption is false"


RULES = (unique_names, repository_logical_names, existing_vpc, explicit_zones,
         private_egress, images_without_nat, used_repositories, service_images, service_platforms,
         build_takes_no_architectures, service_calls, custom_domains, autoscaling_bounds,
         replicas_within_autoscaling, deployer_addresses, deployer_reaches_cluster,
         waivers, log_settings)
REGIONAL_RULES = (same_region, ecr_images_without_nat)
