"""Shipyard: one environment per stack. Config in, components wired, outputs out."""

import pulumi

from components.custom_domain import CustomDomain, CustomDomainArgs, hosted_zone_id
from components.ecr import EcrRepository, EcrRepositoryArgs, existing_repository_url
from components.ecs_cluster import EcsCluster, EcsClusterArgs
from components.ecs_service import EcsService, EcsServiceArgs
from components.eks_cluster import EksCluster, EksClusterArgs
from components.image_build import ImageBuild, ImageBuildArgs
from components.kubernetes_target import KubernetesTarget, KubernetesTargetArgs
from components.load_balancer import PublicLoadBalancer, PublicLoadBalancerArgs
from components.log_encryption_key import LogEncryptionKey, LogEncryptionKeyArgs
from components.network import Network, NetworkArgs
from shipyard.architectures import ecs_cpu_architecture, pod_architectures
from shipyard.aws_context import AwsContext
from shipyard.calls import called, callees_first
from shipyard.config import from_pulumi
from shipyard.ecs_task import uses_service_connect
from shipyard.endpoints import interface_endpoints
from shipyard.image_build import MUTABLE_TAG_FILTER, build_platforms
from shipyard.naming import repository_logical_name
from shipyard.routing import rule_priorities

config = from_pulumi()  # the whole config is validated before any resource exists
prefix = f"{pulumi.get_project()}-{pulumi.get_stack()}"
# Account, region and zones (ECS and EKS run in a VPC; ECR and an existing cluster need none)
aws_context = AwsContext.lookup(config.network) if config.needs_network else None

# Images: one stack owns (creates) each repository, the others use it (README: ECR across stacks)
built_into = {s.repository for s in config.services if s.build}
repository_urls = {
    repo.name: EcrRepository(repository_logical_name(repo.name), EcrRepositoryArgs(
        repo, protect=config.production,
        mutable_tag_filters=(MUTABLE_TAG_FILTER,)
        if repo.name in built_into or repo.built_elsewhere else ())).repository_url
    if config.ecr.mode == "create" else existing_repository_url(repo.name)
    for repo in config.ecr.repositories
}
builds = {s.name: ImageBuild(f"{s.name}-image", ImageBuildArgs(
    s.build, repository_urls[s.repository], build_platforms(config, s),
    pulumi.get_stack())) for s in config.services if s.build}
images = {s.name: builds[s.name].image_ref if s.build
          else s.image or repository_urls[s.repository].apply(
              lambda url, tag=s.tag: f"{url}:{tag}")
          for s in config.services}

# The network (and the customer-managed key of its logs, when asked for)
log_key_arn = config.logs.kms_key_arn if config.log_kms_encryption else None
network = None
if aws_context:
    if config.needs_log_key:
        log_key_arn = LogEncryptionKey(prefix, LogEncryptionKeyArgs(
            prefix, aws_context, protect=config.production)).arn
    network = Network(prefix, NetworkArgs(config.network, aws_context, log_key_arn,
                                          interface_endpoints(config),
                                          protect_logs=config.production))

# Custom domains: a certificate per public service's domain, validated in the existing zone
with_domain = [s for s in config.services if s.domain]
zone_id = hosted_zone_id(config.dns.zone) if with_domain else None
# (named by the domain, so its records stay put when the service is renamed)
domains = {s.name: CustomDomain(s.domain, CustomDomainArgs(s.domain, zone_id))
           for s in with_domain}

# ECS
ecs_services: dict[str, EcsService] = {}
if config.ecs.enabled:
    on_ecs = config.services_on("ecs")
    cluster = EcsCluster(prefix, EcsClusterArgs(
        config.ecs, prefix, network.private_subnet_ids, network.vpc_id, egress=network.egress,
        service_connect=any(uses_service_connect(s, on_ecs) for s in on_ecs)))
    public_on_ecs = [s for s in on_ecs if s.public]
    alb = PublicLoadBalancer(prefix, PublicLoadBalancerArgs(
        config.ecs.load_balancer, network.vpc_id, network.public_subnet_ids, aws_context,
        access_logs=config.alb_access_logs, production=config.production,
        domain_certificates={s.name: domains[s.name].certificate_arn
                             for s in public_on_ecs if s.name in domains},
        services=tuple(public_on_ecs))) if public_on_ecs else None
    priorities = rule_priorities(public_on_ecs)
    called_on_ecs = called(on_ecs)
    for s in callees_first(on_ecs):  # a caller starts after the services it calls
        ecs_services[s.name] = EcsService(s.name, EcsServiceArgs(
            s, images[s.name], ecs_cpu_architecture(config, s), aws_context, cluster, config.ecs,
            network.vpc_id,
            network.private_subnet_ids, alb, priorities.get(s.name),
            callees=tuple(ecs_services[c] for c in s.calls), endpoint=s.name in called_on_ecs,
            domain=domains.get(s.name), egress=network.egress, log_key_arn=log_key_arn,
            protect_logs=config.production))
    pulumi.export("ecsClusterName", cluster.cluster_name)

# EKS, and the services on it as Kubernetes workloads
eks_cluster = None
if config.eks.enabled:
    eks_cluster = EksCluster(prefix, EksClusterArgs(
        config.eks, prefix, aws_context, network.vpc_id, network.vpc_cidr,
        network.private_subnet_ids, endpoint_public=config.eks_endpoint_public,
        production=config.production))
    KubernetesTarget("eks", KubernetesTargetArgs(
        config.services_on("eks"), images, config.eks.namespace, config.eks.autoscaling,
        kubeconfig=eks_cluster.kubeconfig,
        load_balancer_annotations={"service.beta.kubernetes.io/aws-load-balancer-type": "nlb"},
        domains=domains, cluster_ready=eks_cluster.ready,
        # Pods stay on nodes their image runs on (kubernetes.io/arch), where the nodes differ.
        architectures={s.name: pod_architectures(config, s, "eks")
                       for s in config.services_on("eks")}))

# Any existing Kubernetes cluster (another cloud, on-premises)
if config.kubernetes.enabled:
    KubernetesTarget("kubernetes", KubernetesTargetArgs(
        config.services_on("kubernetes"), images, config.kubernetes.namespace,
        config.kubernetes.autoscaling, kubeconfig=config.kubernetes.kubeconfig,
        context=config.kubernetes.context,
        architectures={s.name: pod_architectures(config, s, "kubernetes")
                       for s in config.services_on("kubernetes")}))

# Outputs
pulumi.export("repositoryUrls", repository_urls)
if builds:  # what each built service runs: promote these digests to other stacks
    pulumi.export("builtImages", {name: build.image_ref for name, build in builds.items()})
if network:
    pulumi.export("vpcId", network.vpc_id)
    pulumi.export("publicSubnetIds", network.public_subnet_ids)
    pulumi.export("privateSubnetIds", network.private_subnet_ids)
if eks_cluster:
    pulumi.export("eksClusterName", eks_cluster.cluster_name)
    pulumi.export("eksEndpoint", eks_cluster.endpoint)
    pulumi.export("eksOidcProviderArn", eks_cluster.oidc_provider_arn)
    pulumi.export("kubeconfig", eks_cluster.kubeconfig)
if ecs_services:
    pulumi.export("ecsServices", {n: s.service_name for n, s in ecs_services.items()})
    pulumi.export("ecsLogGroups", {n: s.log_group_name for n, s in ecs_services.items()})
    pulumi.export("ecsUrls", {n: s.url for n, s in ecs_services.items() if s.url is not None})
