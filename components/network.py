"""Network: the VPC every other component runs in, or the ids of an existing one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_aws as aws

from shipyard.aws import iam
from shipyard.aws.cidr import carve
from shipyard.aws.context import AwsContext
from shipyard.aws.naming import IAM_ROLE_NAME_MAX, logical
from shipyard.config.schema import Network as NetworkSettings


@dataclass(frozen=True)
class NetworkArgs:
    settings: NetworkSettings
    aws_context: AwsContext
    # Customer-managed KMS key for the flow log group (default: CloudWatch's own encryption).
    log_key_arn: Optional[pulumi.Input[str]] = None
    # With settings.vpc_endpoints: the interface endpoints the stack's compute calls
    # (shipyard.aws.endpoints.interface_endpoints); S3, for image layers, is a gateway endpoint.
    interface_endpoints: tuple[str, ...] = ()
    # Production: the flow log group is protected (its delete would lose the logs).
    protect_logs: bool = False


@dataclass(frozen=True)
class Egress:
    """Where workloads in the private subnets may connect: anywhere, or — when the VPC has no
    NAT gateway, so the internet is unreachable anyway — only inside the VPC (interface
    endpoints, other services) and to S3 through its gateway endpoint."""

    vpc_cidr: Optional[str] = None                       # None: anywhere
    s3_prefix_list_id: Optional[pulumi.Input[str]] = None

    @property
    def restricted(self) -> bool:
        return self.vpc_cidr is not None


def allow_egress(name: str, security_group_id: pulumi.Input[str], egress: Egress, purpose: str,
                 opts: pulumi.ResourceOptions) -> None:
    """The egress rules of a workload security group. DNS needs none: security groups do not
    filter traffic to the Amazon-provided DNS server (VPC User Guide, "Security group rules")."""
    if not egress.restricted:
        aws.vpc.SecurityGroupEgressRule(
            name, security_group_id=security_group_id, ip_protocol="-1", cidr_ipv4="0.0.0.0/0",
            description=purpose, opts=opts)
        return
    aws.vpc.SecurityGroupEgressRule(
        name, security_group_id=security_group_id, ip_protocol="-1", cidr_ipv4=egress.vpc_cidr,
        description="inside the VPC: AWS interface endpoints and other services", opts=opts)
    aws.vpc.SecurityGroupEgressRule(
        f"{name}-s3", security_group_id=security_group_id, ip_protocol="tcp", from_port=443,
        to_port=443, prefix_list_id=egress.s3_prefix_list_id,
        description="S3 through the gateway endpoint (ECR image layers)", opts=opts)


class Network(pulumi.ComponentResource):
    vpc_id: pulumi.Output[str]
    vpc_cidr: pulumi.Output[str]
    egress: Egress
    public_subnet_ids: pulumi.Output[list[str]]
    private_subnet_ids: pulumi.Output[list[str]]

    def __init__(self, name: str, args: NetworkArgs,
                 opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("shipyard:network:Network", name, None, opts)
        settings = args.settings
        self.egress = Egress()
        if settings.existing:
            self.vpc_id = pulumi.Output.from_input(settings.vpc_id)
            self.vpc_cidr = aws.ec2.get_vpc_output(
                id=settings.vpc_id, opts=pulumi.InvokeOptions(parent=self)).cidr_block
            self.public_subnet_ids = pulumi.Output.from_input(settings.public_subnet_ids)
            self.private_subnet_ids = pulumi.Output.from_input(settings.private_subnet_ids)
        else:
            self._create(name, args)
        self.register_outputs({"vpcId": self.vpc_id, "publicSubnetIds": self.public_subnet_ids,
                               "privateSubnetIds": self.private_subnet_ids})

    def _create(self, name: str, args: NetworkArgs) -> None:
        settings = args.settings
        child = pulumi.ResourceOptions(parent=self)
        zones = [zone.name for zone in args.aws_context.zones]
        plan = carve(settings.cidr_block, len(zones))

        vpc = aws.ec2.Vpc(name, cidr_block=settings.cidr_block, enable_dns_support=True,
                          enable_dns_hostnames=True, tags={"Name": name}, opts=child)
        # Security Hub EC2.2: the default security group must allow nothing.
        aws.ec2.DefaultSecurityGroup(f"{name}-default", vpc_id=vpc.id, ingress=[], egress=[],
                                     tags={"Name": f"{name}-default"}, opts=child)
        gateway = aws.ec2.InternetGateway(f"{name}-igw", vpc_id=vpc.id, tags={"Name": name},
                                          opts=child)
        public_routes = aws.ec2.RouteTable(
            f"{name}-public", vpc_id=vpc.id,
            routes=[aws.ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", gateway_id=gateway.id)],
            tags={"Name": f"{name}-public"}, opts=child)

        public, private = [], []
        for index, (zone, public_cidr, private_cidr) in enumerate(
                zip(zones, plan.public, plan.private, strict=True), start=1):
            public.append(self._subnet(f"{name}-public-{index}", vpc, zone, public_cidr,
                                       {"kubernetes.io/role/elb": "1"}))
            private.append(self._subnet(f"{name}-private-{index}", vpc, zone, private_cidr,
                                        {"kubernetes.io/role/internal-elb": "1"}))
            aws.ec2.RouteTableAssociation(f"{name}-public-{index}", subnet_id=public[-1].id,
                                          route_table_id=public_routes.id, opts=child)

        nat_count = {"none": 0, "single": 1, "perAz": len(zones)}[settings.nat_gateways]
        nats = []
        for index in range(1, nat_count + 1):
            address = aws.ec2.Eip(f"{name}-nat-{index}", domain="vpc",
                                  tags={"Name": f"{name}-nat-{index}"}, opts=child)
            nats.append(aws.ec2.NatGateway(
                f"{name}-nat-{index}", allocation_id=address.id, subnet_id=public[index - 1].id,
                connectivity_type="public", tags={"Name": f"{name}-nat-{index}"},
                opts=pulumi.ResourceOptions(parent=self, depends_on=[gateway])))

        private_tables = []
        for index, subnet in enumerate(private, start=1):
            routes = ([aws.ec2.RouteTableRouteArgs(
                cidr_block="0.0.0.0/0", nat_gateway_id=nats[(index - 1) % len(nats)].id)]
                if nats else [])
            table = aws.ec2.RouteTable(f"{name}-private-{index}", vpc_id=vpc.id, routes=routes,
                                       tags={"Name": f"{name}-private-{index}"}, opts=child)
            aws.ec2.RouteTableAssociation(f"{name}-private-{index}", subnet_id=subnet.id,
                                          route_table_id=table.id, opts=child)
            private_tables.append(table)

        self._flow_logs(name, vpc, settings.flow_log_retention_days, args.aws_context.account_id,
                        args.log_key_arn, args.protect_logs)
        if settings.vpc_endpoints:
            s3 = self._endpoints(name, vpc, settings.cidr_block, private, private_tables,
                                 args.aws_context.region, args.interface_endpoints)
            if not nats:
                self.egress = Egress(settings.cidr_block, s3.prefix_list_id)

        self.vpc_id = vpc.id
        self.vpc_cidr = vpc.cidr_block
        self.public_subnet_ids = pulumi.Output.all(*[s.id for s in public])
        self.private_subnet_ids = pulumi.Output.all(*[s.id for s in private])

    def _subnet(self, name: str, vpc: aws.ec2.Vpc, zone: str, cidr: str,
                tags: dict[str, str]) -> aws.ec2.Subnet:
        # No subnet hands out public IPs (Security Hub EC2.15): NAT gateways and load
        # balancers get their addresses explicitly.
        return aws.ec2.Subnet(name, vpc_id=vpc.id, availability_zone=zone, cidr_block=cidr,
                              map_public_ip_on_launch=False, tags={"Name": name, **tags},
                              opts=pulumi.ResourceOptions(parent=self))

    def _flow_logs(self, name: str, vpc: aws.ec2.Vpc, retention_days: int, account: str,
                   key_arn: Optional[pulumi.Input[str]], protect: bool) -> None:
        child = pulumi.ResourceOptions(parent=self)
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-flow-logs", retention_in_days=retention_days, kms_key_id=key_arn,
            opts=pulumi.ResourceOptions(parent=self, protect=protect))
        role = aws.iam.Role(logical(f"{name}-flow-logs", IAM_ROLE_NAME_MAX),
                            assume_role_policy=iam.to_json(
                                iam.assume_role("vpc-flow-logs.amazonaws.com", account)),
                            opts=child)
        aws.iam.RolePolicy(f"{name}-flow-logs", role=role.id,
                           policy=log_group.arn.apply(
                               lambda arn: iam.to_json(iam.flow_logs_delivery(arn))),
                           opts=child)
        aws.ec2.FlowLog(f"{name}-flow-logs", vpc_id=vpc.id, traffic_type="ALL",
                        log_destination_type="cloud-watch-logs", log_destination=log_group.arn,
                        iam_role_arn=role.arn, max_aggregation_interval=600,
                        tags={"Name": name}, opts=child)

    def _endpoints(self, name: str, vpc: aws.ec2.Vpc, cidr: str, subnets: list[aws.ec2.Subnet],
                   route_tables: list[aws.ec2.RouteTable], region: str,
                   services: tuple[str, ...]) -> aws.ec2.VpcEndpoint:
        child = pulumi.ResourceOptions(parent=self)
        s3 = aws.ec2.VpcEndpoint(f"{name}-s3", vpc_id=vpc.id,
                                 service_name=f"com.amazonaws.{region}.s3",
                                 vpc_endpoint_type="Gateway",
                                 route_table_ids=[t.id for t in route_tables], opts=child)
        security_group = aws.ec2.SecurityGroup(
            f"{name}-endpoints", vpc_id=vpc.id,
            description="HTTPS from inside the VPC to AWS interface endpoints",
            ingress=[aws.ec2.SecurityGroupIngressArgs(
                protocol="tcp", from_port=443, to_port=443, cidr_blocks=[cidr],
                description="HTTPS from the VPC")],
            egress=[], opts=child)
        for service in services:
            aws.ec2.VpcEndpoint(
                f"{name}-{service.replace('.', '-')}", vpc_id=vpc.id,
                service_name=f"com.amazonaws.{region}.{service}", vpc_endpoint_type="Interface",
                private_dns_enabled=True, subnet_ids=[s.id for s in subnets],
                security_group_ids=[security_group.id], opts=child)
        return s3
