"""The ECS cluster, its shared load balancer and one ECS service per service (`pulumi up`)."""

from __future__ import annotations

from components.ecs.cluster import EcsCluster, EcsClusterArgs
from components.ecs.load_balancer import PublicLoadBalancer, PublicLoadBalancerArgs
from components.ecs.service import EcsService, EcsServiceArgs
from shipyard.platforms.base import Outputs, Shared
from shipyard.platforms.ecs.capacity import cpu_architecture
from shipyard.platforms.ecs.task import uses_service_connect
from shipyard.services.calls import called, callees_first
from shipyard.services.routing import rule_priorities


def deploy(shared: Shared) -> Outputs:
    config, network = shared.config, shared.network
    on_ecs = config.services_on("ecs")
    cluster = EcsCluster(shared.prefix, EcsClusterArgs(
        config.ecs, shared.prefix, network.private_subnet_ids, network.vpc_id,
        egress=network.egress,
        service_connect=any(uses_service_connect(s, on_ecs) for s in on_ecs)))
    public_on_ecs = [s for s in on_ecs if s.public]
    alb = PublicLoadBalancer(shared.prefix, PublicLoadBalancerArgs(
        config.ecs.load_balancer, network.vpc_id, network.public_subnet_ids, shared.aws_context,
        access_logs=config.ecs.load_balancer.writes_access_logs(config.production),
        production=config.production,
        domain_certificates={s.name: shared.domains[s.name].certificate_arn
                             for s in public_on_ecs if s.name in shared.domains},
        services=tuple(public_on_ecs))) if public_on_ecs else None
    priorities = rule_priorities(public_on_ecs)
    called_on_ecs = called(on_ecs)
    services: dict[str, EcsService] = {}
    for s in callees_first(on_ecs):  # a caller starts after the services it calls
        services[s.name] = EcsService(s.name, EcsServiceArgs(
            s, shared.images[s.name], cpu_architecture(config, s), shared.aws_context,
            cluster, config.ecs, network.vpc_id, network.private_subnet_ids, alb,
            priorities.get(s.name), callees=tuple(services[c] for c in s.calls),
            endpoint=s.name in called_on_ecs, domain=shared.domains.get(s.name),
            egress=network.egress, log_key_arn=shared.log_key_arn,
            protect_logs=config.production))
    outputs = {"ecsClusterName": cluster.cluster_name}
    if services:
        outputs["ecsServices"] = {n: s.service_name for n, s in services.items()}
        outputs["ecsLogGroups"] = {n: s.log_group_name for n, s in services.items()}
        outputs["ecsUrls"] = {n: s.url for n, s in services.items() if s.url is not None}
    return outputs
