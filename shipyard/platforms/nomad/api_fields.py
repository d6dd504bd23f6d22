"""Nomad's job API as JSON: every struct's field keys and value types, and a checker.

pulumi-nomad 2.6.1 parses a `json = true` jobspec with Go's `json.Unmarshal` into `api.Job`
(terraform-provider-nomad v2.6.1, nomad/resource_job.go, parseJSONJobspec), which drops unknown
keys without a word: `"Memory": 512` registers a task with the 300 MB default. So every jobspec
Shipyard builds is checked here, key by key, against the structs of the Nomad API module that
provider version embeds.

Source: github.com/hashicorp/nomad at b0f552dbe97118b235b166aa6f753b0edb48039b (the module
version `github.com/hashicorp/nomad/api v0.0.0-20260408063511-b0f552dbe971` in
pulumi/pulumi-nomad v2.6.1 provider/go.mod and in hashicorp/terraform-provider-nomad v2.6.1
go.mod): api/jobs.go, api/tasks.go, api/resources.go, api/services.go, and the files of the
types they reference (api/scaling.go, api/consul.go, api/constraint.go, api/csi.go,
api/task_sched.go), read with the struct fields' `json` tags (none but a few: a key is then the
Go field name). Types: `string`, `int`, `float`, `bool`; `duration` is Go's time.Duration,
which encoding/json carries as an integer of nanoseconds; `bytes` is []byte (base64 text);
`any` is interface{}; `time` is time.Time (RFC 3339 text); `[]T` a list; `map[string]T` an
object; any other name is one of the structs below. Pointers are the same as their targets.
Written out by reading those structs, as data: no Nomad code is copied.
"""

from __future__ import annotations

from typing import Any, Iterator

# Go struct -> {JSON key: type}, from the files named above (each struct's file beside it).
FIELDS: dict[str, dict[str, str]] = {
    'Action': {  # api/tasks.go
        'Name': 'string', 'Command': 'string', 'Args': '[]string',
    },
    'Affinity': {  # api/tasks.go
        'LTarget': 'string', 'RTarget': 'string', 'Operand': 'string', 'Weight': 'int',
    },
    'CNIConfig': {  # api/resources.go
        'Args': 'map[string]string',
    },
    'CSIMountOptions': {  # api/csi.go
        'FSType': 'string', 'MountFlags': '[]string',
    },
    'ChangeScript': {  # api/tasks.go
        'Command': 'string', 'Args': '[]string', 'Timeout': 'duration', 'FailOnError': 'bool',
    },
    'CheckRestart': {  # api/services.go
        'Limit': 'int', 'Grace': 'duration', 'IgnoreWarnings': 'bool',
    },
    'Constraint': {  # api/constraint.go
        'LTarget': 'string', 'RTarget': 'string', 'Operand': 'string',
    },
    'Consul': {  # api/consul.go
        'Namespace': 'string', 'Cluster': 'string', 'Partition': 'string',
    },
    'ConsulConnect': {  # api/consul.go
        'Native': 'bool', 'Gateway': 'ConsulGateway', 'SidecarService': 'ConsulSidecarService',
        'SidecarTask': 'SidecarTask',
    },
    'ConsulExposeConfig': {  # api/consul.go
        'Paths': '[]ConsulExposePath', 'Path': '[]ConsulExposePath',
    },
    'ConsulExposePath': {  # api/consul.go
        'Path': 'string', 'Protocol': 'string', 'LocalPathPort': 'int', 'ListenerPort': 'string',
    },
    'ConsulGateway': {  # api/consul.go
        'Proxy': 'ConsulGatewayProxy', 'Ingress': 'ConsulIngressConfigEntry',
        'Terminating': 'ConsulTerminatingConfigEntry', 'Mesh': 'ConsulMeshConfigEntry',
    },
    'ConsulGatewayBindAddress': {  # api/consul.go
        'Name': 'string', 'Address': 'string', 'Port': 'int',
    },
    'ConsulGatewayProxy': {  # api/consul.go
        'ConnectTimeout': 'duration', 'EnvoyGatewayBindTaggedAddresses': 'bool',
        'EnvoyGatewayBindAddresses': 'map[string]ConsulGatewayBindAddress',
        'EnvoyGatewayNoDefaultBind': 'bool', 'EnvoyDNSDiscoveryType': 'string',
        'Config': 'map[string]any',
    },
    'ConsulGatewayTLSConfig': {  # api/consul.go
        'Enabled': 'bool', 'TLSMinVersion': 'string', 'TLSMaxVersion': 'string',
        'CipherSuites': '[]string', 'SDS': 'ConsulGatewayTLSSDSConfig',
    },
    'ConsulGatewayTLSSDSConfig': {  # api/consul.go
        'ClusterName': 'string', 'CertResource': 'string',
    },
    'ConsulHTTPHeaderModifiers': {  # api/consul.go
        'Add': 'map[string]string', 'Set': 'map[string]string', 'Remove': '[]string',
    },
    'ConsulIngressConfigEntry': {  # api/consul.go
        'TLS': 'ConsulGatewayTLSConfig', 'Listeners': '[]ConsulIngressListener',
    },
    'ConsulIngressListener': {  # api/consul.go
        'Port': 'int', 'Protocol': 'string', 'Services': '[]ConsulIngressService',
    },
    'ConsulIngressService': {  # api/consul.go
        'Name': 'string', 'Hosts': '[]string', 'TLS': 'ConsulGatewayTLSConfig',
        'RequestHeaders': 'ConsulHTTPHeaderModifiers',
        'ResponseHeaders': 'ConsulHTTPHeaderModifiers', 'MaxConnections': 'int',
        'MaxPendingRequests': 'int', 'MaxConcurrentRequests': 'int',
    },
    'ConsulLinkedService': {  # api/consul.go
        'Name': 'string', 'CAFile': 'string', 'CertFile': 'string', 'KeyFile': 'string',
        'SNI': 'string',
    },
    'ConsulMeshConfigEntry': {  # api/consul.go

    },
    'ConsulMeshGateway': {  # api/consul.go
        'Mode': 'string',
    },
    'ConsulProxy': {  # api/consul.go
        'LocalServiceAddress': 'string', 'LocalServicePort': 'int',
        'Expose': 'ConsulExposeConfig', 'ExposeConfig': 'ConsulExposeConfig',
        'Upstreams': '[]ConsulUpstream', 'TransparentProxy': 'ConsulTransparentProxy',
        'Config': 'map[string]any',
    },
    'ConsulSidecarService': {  # api/consul.go
        'Tags': '[]string', 'Port': 'string', 'Proxy': 'ConsulProxy',
        'DisableDefaultTCPCheck': 'bool', 'Meta': 'map[string]string',
    },
    'ConsulTerminatingConfigEntry': {  # api/consul.go
        'Services': '[]ConsulLinkedService',
    },
    'ConsulTransparentProxy': {  # api/consul.go
        'UID': 'string', 'OutboundPort': 'int', 'ExcludeInboundPorts': '[]string',
        'ExcludeOutboundPorts': '[]int', 'ExcludeOutboundCIDRs': '[]string',
        'ExcludeUIDs': '[]string', 'NoDNS': 'bool',
    },
    'ConsulUpstream': {  # api/consul.go
        'DestinationName': 'string', 'DestinationNamespace': 'string',
        'DestinationPeer': 'string', 'DestinationPartition': 'string',
        'DestinationType': 'string', 'LocalBindPort': 'int', 'Datacenter': 'string',
        'LocalBindAddress': 'string', 'LocalBindSocketPath': 'string',
        'LocalBindSocketMode': 'string', 'MeshGateway': 'ConsulMeshGateway',
        'Config': 'map[string]any',
    },
    'DNSConfig': {  # api/resources.go
        'Servers': '[]string', 'Searches': '[]string', 'Options': '[]string',
    },
    'DisconnectStrategy': {  # api/tasks.go
        'LostAfter': 'duration', 'StopOnClientAfter': 'duration', 'Replace': 'bool',
        'Reconcile': 'string',
    },
    'DispatchPayloadConfig': {  # api/tasks.go
        'File': 'string',
    },
    'EphemeralDisk': {  # api/tasks.go
        'Sticky': 'bool', 'Migrate': 'bool', 'SizeMB': 'int',
    },
    'Job': {  # api/jobs.go
        'Region': 'string', 'Namespace': 'string', 'ID': 'string', 'Name': 'string',
        'Type': 'string', 'Priority': 'int', 'AllAtOnce': 'bool', 'Datacenters': '[]string',
        'NodePool': 'string', 'Constraints': '[]Constraint', 'Affinities': '[]Affinity',
        'TaskGroups': '[]TaskGroup', 'Update': 'UpdateStrategy', 'Multiregion': 'Multiregion',
        'Spreads': '[]Spread', 'Periodic': 'PeriodicConfig',
        'ParameterizedJob': 'ParameterizedJobConfig', 'Reschedule': 'ReschedulePolicy',
        'Migrate': 'MigrateStrategy', 'Meta': 'map[string]string', 'UI': 'JobUIConfig',
        'Stop': 'bool', 'ParentID': 'string', 'Dispatched': 'bool',
        'DispatchIdempotencyToken': 'string', 'Payload': 'bytes', 'ConsulNamespace': 'string',
        'VaultNamespace': 'string', 'NomadTokenID': 'string', 'Status': 'string',
        'StatusDescription': 'string', 'Stable': 'bool', 'Version': 'int', 'SubmitTime': 'int',
        'CreateIndex': 'int', 'ModifyIndex': 'int', 'JobModifyIndex': 'int',
        'VersionTag': 'JobVersionTag',
    },
    'JobUIConfig': {  # api/jobs.go
        'Description': 'string', 'Links': '[]JobUILink',
    },
    'JobUILink': {  # api/jobs.go
        'Label': 'string', 'URL': 'string',
    },
    'JobVersionTag': {  # api/jobs.go
        'Name': 'string', 'Description': 'string', 'TaggedTime': 'int',
    },
    'LogConfig': {  # api/tasks.go
        'MaxFiles': 'int', 'MaxFileSizeMB': 'int', 'Enabled': 'bool', 'Disabled': 'bool',
    },
    'MigrateStrategy': {  # api/tasks.go
        'MaxParallel': 'int', 'HealthCheck': 'string', 'MinHealthyTime': 'duration',
        'HealthyDeadline': 'duration',
    },
    'Multiregion': {  # api/jobs.go
        'Strategy': 'MultiregionStrategy', 'Regions': '[]MultiregionRegion',
    },
    'MultiregionRegion': {  # api/jobs.go
        'Name': 'string', 'Count': 'int', 'Datacenters': '[]string', 'NodePool': 'string',
        'Meta': 'map[string]string',
    },
    'MultiregionStrategy': {  # api/jobs.go
        'MaxParallel': 'int', 'OnFailure': 'string',
    },
    'NUMAResource': {  # api/resources.go
        'Affinity': 'string', 'Devices': '[]string',
    },
    'NetworkResource': {  # api/resources.go
        'Mode': 'string', 'Device': 'string', 'CIDR': 'string', 'IP': 'string',
        'DNS': 'DNSConfig', 'ReservedPorts': '[]Port', 'DynamicPorts': '[]Port',
        'Hostname': 'string', 'MBits': 'int', 'CNI': 'CNIConfig',
    },
    'ParameterizedJobConfig': {  # api/jobs.go
        'Payload': 'string', 'MetaRequired': '[]string', 'MetaOptional': '[]string',
    },
    'PeriodicConfig': {  # api/jobs.go
        'Enabled': 'bool', 'Spec': 'string', 'Specs': '[]string', 'SpecType': 'string',
        'ProhibitOverlap': 'bool', 'TimeZone': 'string',
    },
    'Port': {  # api/resources.go
        'Label': 'string', 'Value': 'int', 'To': 'int', 'HostNetwork': 'string',
        'IgnoreCollision': 'bool',
    },
    'RequestedDevice': {  # api/resources.go
        'Name': 'string', 'Count': 'int', 'Constraints': '[]Constraint',
        'Affinities': '[]Affinity',
    },
    'ReschedulePolicy': {  # api/tasks.go
        'Attempts': 'int', 'Interval': 'duration', 'Delay': 'duration', 'DelayFunction': 'string',
        'MaxDelay': 'duration', 'Unlimited': 'bool',
    },
    'Resources': {  # api/resources.go
        'CPU': 'int', 'Cores': 'int', 'MemoryMB': 'int', 'MemoryMaxMB': 'int', 'DiskMB': 'int',
        'Networks': '[]NetworkResource', 'Devices': '[]RequestedDevice', 'NUMA': 'NUMAResource',
        'SecretsMB': 'int', 'IOPS': 'int',
    },
    'RestartPolicy': {  # api/tasks.go
        'Interval': 'duration', 'Attempts': 'int', 'Delay': 'duration', 'Mode': 'string',
        'RenderTemplates': 'bool',
    },
    'ScalingPolicy': {  # api/scaling.go
        'Min': 'int', 'Max': 'int', 'Policy': 'map[string]any', 'Enabled': 'bool',
        'Type': 'string', 'ID': 'string', 'Namespace': 'string', 'Target': 'map[string]string',
        'CreateIndex': 'int', 'ModifyIndex': 'int',
    },
    'Secret': {  # api/tasks.go
        'Name': 'string', 'Provider': 'string', 'Path': 'string', 'Config': 'map[string]any',
        'Env': 'map[string]string',
    },
    'Service': {  # api/services.go
        'Name': 'string', 'Tags': '[]string', 'CanaryTags': '[]string',
        'EnableTagOverride': 'bool', 'PortLabel': 'string', 'AddressMode': 'string',
        'Address': 'string', 'Checks': '[]ServiceCheck', 'CheckRestart': 'CheckRestart',
        'Connect': 'ConsulConnect', 'Meta': 'map[string]string',
        'CanaryMeta': 'map[string]string', 'TaggedAddresses': 'map[string]string',
        'TaskName': 'string', 'OnUpdate': 'string', 'Identity': 'WorkloadIdentity',
        'Weights': 'ServiceWeights', 'Provider': 'string', 'Cluster': 'string', 'Kind': 'string',
    },
    'ServiceCheck': {  # api/services.go
        'Name': 'string', 'Type': 'string', 'Command': 'string', 'Args': '[]string',
        'Path': 'string', 'Protocol': 'string', 'PortLabel': 'string', 'Expose': 'bool',
        'AddressMode': 'string', 'Advertise': 'string', 'Interval': 'duration',
        'Timeout': 'duration', 'InitialStatus': 'string', 'Notes': 'string',
        'TLSServerName': 'string', 'TLSSkipVerify': 'bool', 'Header': 'map[string][]string',
        'Method': 'string', 'CheckRestart': 'CheckRestart', 'GRPCService': 'string',
        'GRPCUseTLS': 'bool', 'TaskName': 'string', 'SuccessBeforePassing': 'int',
        'FailuresBeforeCritical': 'int', 'FailuresBeforeWarning': 'int', 'Body': 'string',
        'OnUpdate': 'string',
    },
    'ServiceWeights': {  # api/services.go
        'Passing': 'int', 'Warning': 'int',
    },
    'SidecarTask': {  # api/consul.go
        'Name': 'string', 'Driver': 'string', 'User': 'string', 'Config': 'map[string]any',
        'Env': 'map[string]string', 'Resources': 'Resources', 'Meta': 'map[string]string',
        'KillTimeout': 'duration', 'LogConfig': 'LogConfig', 'ShutdownDelay': 'duration',
        'KillSignal': 'string', 'VolumeMounts': '[]VolumeMount',
        'Identities': '[]WorkloadIdentity',
    },
    'Spread': {  # api/tasks.go
        'Attribute': 'string', 'Weight': 'int', 'SpreadTarget': '[]SpreadTarget',
    },
    'SpreadTarget': {  # api/tasks.go
        'Value': 'string', 'Percent': 'int',
    },
    'Task': {  # api/tasks.go
        'Name': 'string', 'Driver': 'string', 'User': 'string', 'Lifecycle': 'TaskLifecycle',
        'Config': 'map[string]any', 'Constraints': '[]Constraint', 'Affinities': '[]Affinity',
        'Env': 'map[string]string', 'Services': '[]Service', 'Resources': 'Resources',
        'RestartPolicy': 'RestartPolicy', 'Meta': 'map[string]string', 'KillTimeout': 'duration',
        'LogConfig': 'LogConfig', 'Artifacts': '[]TaskArtifact', 'Vault': 'Vault',
        'Consul': 'Consul', 'Templates': '[]Template', 'DispatchPayload': 'DispatchPayloadConfig',
        'VolumeMounts': '[]VolumeMount', 'CSIPluginConfig': 'TaskCSIPluginConfig',
        'Leader': 'bool', 'ShutdownDelay': 'duration', 'KillSignal': 'string', 'Kind': 'string',
        'ScalingPolicies': '[]ScalingPolicy', 'Secrets': '[]Secret',
        'Identity': 'WorkloadIdentity', 'Identities': '[]WorkloadIdentity', 'Actions': '[]Action',
        'Schedule': 'TaskSchedule',
    },
    'TaskArtifact': {  # api/tasks.go
        'GetterSource': 'string', 'GetterOptions': 'map[string]string',
        'GetterHeaders': 'map[string]string', 'GetterMode': 'string', 'GetterInsecure': 'bool',
        'RelativeDest': 'string', 'Chown': 'bool',
    },
    'TaskCSIPluginConfig': {  # api/tasks.go
        'ID': 'string', 'Type': 'string', 'MountDir': 'string', 'StagePublishBaseDir': 'string',
        'HealthTimeout': 'duration',
    },
    'TaskGroup': {  # api/tasks.go
        'Name': 'string', 'Count': 'int', 'Constraints': '[]Constraint',
        'Affinities': '[]Affinity', 'Tasks': '[]Task', 'Spreads': '[]Spread',
        'Volumes': 'map[string]VolumeRequest', 'RestartPolicy': 'RestartPolicy',
        'Disconnect': 'DisconnectStrategy', 'ReschedulePolicy': 'ReschedulePolicy',
        'EphemeralDisk': 'EphemeralDisk', 'Update': 'UpdateStrategy',
        'Migrate': 'MigrateStrategy', 'Networks': '[]NetworkResource',
        'Meta': 'map[string]string', 'Services': '[]Service', 'ShutdownDelay': 'duration',
        'StopAfterClientDisconnect': 'duration', 'MaxClientDisconnect': 'duration',
        'Scaling': 'ScalingPolicy', 'Consul': 'Consul', 'PreventRescheduleOnLost': 'bool',
    },
    'TaskLifecycle': {  # api/tasks.go
        'Hook': 'string', 'Sidecar': 'bool',
    },
    'TaskSchedule': {  # api/task_sched.go
        'Cron': 'TaskScheduleCron',
    },
    'TaskScheduleCron': {  # api/task_sched.go
        'Start': 'string', 'End': 'string', 'Timezone': 'string',
    },
    'Template': {  # api/tasks.go
        'SourcePath': 'string', 'DestPath': 'string', 'EmbeddedTmpl': 'string',
        'ChangeMode': 'string', 'ChangeScript': 'ChangeScript', 'ChangeSignal': 'string',
        'Once': 'bool', 'Splay': 'duration', 'Perms': 'string', 'Uid': 'int', 'Gid': 'int',
        'LeftDelim': 'string', 'RightDelim': 'string', 'Envvars': 'bool',
        'VaultGrace': 'duration', 'Wait': 'WaitConfig', 'ErrMissingKey': 'bool',
    },
    'UpdateStrategy': {  # api/jobs.go
        'Stagger': 'duration', 'MaxParallel': 'int', 'HealthCheck': 'string',
        'MinHealthyTime': 'duration', 'HealthyDeadline': 'duration',
        'ProgressDeadline': 'duration', 'Canary': 'int', 'AutoRevert': 'bool',
        'AutoPromote': 'bool',
    },
    'Vault': {  # api/tasks.go
        'Policies': '[]string', 'Role': 'string', 'Namespace': 'string', 'Cluster': 'string',
        'Env': 'bool', 'DisableFile': 'bool', 'ChangeMode': 'string', 'ChangeSignal': 'string',
        'AllowTokenExpiration': 'bool',
    },
    'VolumeMount': {  # api/tasks.go
        'Volume': 'string', 'Destination': 'string', 'ReadOnly': 'bool',
        'PropagationMode': 'string', 'SELinuxLabel': 'string',
    },
    'VolumeRequest': {  # api/tasks.go
        'Name': 'string', 'Type': 'string', 'Source': 'string', 'ReadOnly': 'bool',
        'Sticky': 'bool', 'AccessMode': 'string', 'AttachmentMode': 'string',
        'MountOptions': 'CSIMountOptions', 'PerAlloc': 'bool',
    },
    'WaitConfig': {  # api/tasks.go
        'Min': 'duration', 'Max': 'duration',
    },
    'WorkloadIdentity': {  # api/tasks.go
        'Name': 'string', 'Audience': '[]string', 'ChangeMode': 'string',
        'ChangeSignal': 'string', 'Env': 'bool', 'File': 'bool', 'Filepath': 'string',
        'ServiceName': 'string', 'TTL': 'duration',
    },
}

# The docker task driver's `config` keys (Task.Config is map[string]interface{} in the API and is
# decoded by the driver against its own spec): drivers/docker/config.go, taskConfigSpec, at the
# same commit (its top-level keys; `number` attributes as `int`). `block` keys hold nested blocks
# or lists of maps the checker does not descend into.
DOCKER_CONFIG: dict[str, str] = {
    "image": "string", "advertise_ipv6_address": "bool", "args": "[]string", "auth": "block",
    "auth_soft_fail": "bool", "cap_add": "[]string", "cap_drop": "[]string", "cgroupns": "string",
    "command": "string", "cpuset_cpus": "string", "cpu_hard_limit": "bool",
    "cpu_cfs_period": "int", "container_exists_attempts": "int", "devices": "block",
    "dns_search_domains": "[]string", "dns_options": "[]string", "dns_servers": "[]string",
    "entrypoint": "[]string", "extra_hosts": "[]string", "force_pull": "bool",
    "group_add": "[]string", "healthchecks": "block", "hostname": "string", "init": "bool",
    "interactive": "bool", "ipc_mode": "string", "ipv4_address": "string",
    "ipv6_address": "string", "isolation": "string", "labels": "block", "load": "string",
    "logging": "block", "mac_address": "string", "memory_hard_limit": "int", "mount": "block",
    "mounts": "block", "network_aliases": "[]string", "network_mode": "string",
    "oom_score_adj": "int", "runtime": "string", "pids_limit": "int", "pid_mode": "string",
    "ports": "[]string", "port_map": "block", "privileged": "bool",
    "image_pull_timeout": "string", "readonly_rootfs": "bool", "security_opt": "[]string",
    "shm_size": "int", "storage_opt": "block", "sysctl": "block", "tty": "bool",
    "ulimit": "block", "uts_mode": "string", "userns_mode": "string", "volumes": "[]string",
    "volume_driver": "string", "work_dir": "string",
}

# The `mount` block's keys (mountBodySpec, same file) and its `tmpfs_options` block's.
DOCKER_MOUNT: dict[str, str] = {
    "type": "string", "target": "string", "source": "string", "readonly": "bool",
    "bind_options": "block", "tmpfs_options": "DockerTmpfsOptions", "volume_options": "block",
}
DOCKER_BLOCKS: dict[str, dict[str, str]] = {
    "DockerMount": DOCKER_MOUNT, "DockerTmpfsOptions": {"size": "int", "mode": "int"},
}

_SCALARS = {"string": str, "bool": bool, "float": (int, float)}


def _scalar_problem(value: Any, kind: str) -> str | None:
    if kind in ("int", "duration"):
        # bool is an int to Python, not to encoding/json; durations are integer nanoseconds.
        ok = isinstance(value, int) and not isinstance(value, bool)
        return None if ok else (f"must be an integer{' of nanoseconds' if kind == 'duration' else ''}"
                                f", not {value!r}")
    if kind in ("bytes", "time"):
        return None if isinstance(value, str) else f"must be a string, not {value!r}"
    if kind == "any":
        return None
    expected = _SCALARS[kind]
    ok = isinstance(value, expected) and (kind == "bool" or not isinstance(value, bool))
    return None if ok else f"must be a {kind}, not {value!r}"


def _problems(value: Any, kind: str, path: str) -> Iterator[str]:
    if value is None:
        return  # a nil pointer, slice or map
    if kind.startswith("[]"):
        if not isinstance(value, list):
            yield f"{path}: must be a list ({kind}), not {value!r}"
            return
        for index, item in enumerate(value):
            yield from _problems(item, kind[2:], f"{path}[{index}]")
    elif kind.startswith("map[string]"):
        if not isinstance(value, dict):
            yield f"{path}: must be an object ({kind}), not {value!r}"
            return
        for key, item in value.items():
            yield from _problems(item, kind[len("map[string]"):], f"{path}.{key}")
    elif kind in FIELDS:
        if not isinstance(value, dict):
            yield f"{path}: must be an object ({kind}), not {value!r}"
            return
        fields = FIELDS[kind]
        for key, item in value.items():
            if key not in fields:
                # Go's decoder matches keys case-insensitively; Shipyard writes them exactly.
                spelled = next((k for k in fields if k.lower() == key.lower()), None)
                hint = f"; it is spelled {spelled!r}" if spelled else ""
                yield f"{path}.{key}: not a field of Nomad's api.{kind} (dropped silently){hint}"
            else:
                yield from _problems(item, fields[key], f"{path}.{key}")
                if kind == "Task" and key == "Config" and value.get("Driver") == "docker":
                    yield from _docker_config_problems(item, f"{path}.Config")
    else:
        problem = _scalar_problem(value, kind)
        if problem:
            yield f"{path}: {problem}"


def _docker_config_problems(config: Any, path: str, keys: dict[str, str] = DOCKER_CONFIG
                            ) -> Iterator[str]:
    if not isinstance(config, dict):
        return
    for key, item in config.items():
        if key not in keys:
            yield f"{path}.{key}: not a docker driver config key"
        elif key in ("mount", "mounts") and keys is DOCKER_CONFIG:
            for index, mount in enumerate(item if isinstance(item, list) else [item]):
                yield from _docker_config_problems(mount, f"{path}.{key}[{index}]", DOCKER_MOUNT)
        elif keys[key] in DOCKER_BLOCKS:
            yield from _docker_config_problems(item, f"{path}.{key}", DOCKER_BLOCKS[keys[key]])
        elif keys[key] != "block":
            yield from _problems(item, keys[key], f"{path}.{key}")


def field_problems(job: dict[str, Any]) -> list[str]:
    """Every key of `job` (an api.Job as JSON) that Nomad's decoder would drop, and every value
    of the wrong type, by its path (`Job.TaskGroups[0].Tasks[0].Resources.Memory`)."""
    return list(_problems(job, "Job", "Job"))
