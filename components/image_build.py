"""ImageBuild: a service's image built from its Dockerfile with BuildKit during `pulumi up`,
pushed to its ECR repository and referenced by digest."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_aws as aws
import pulumi_docker_build as docker_build

from shipyard.config.schema import Build
from shipyard.image_build import build_tag, cache_reference, digest_reference, registry_of


@dataclass(frozen=True)
class ImageBuildArgs:
    build: Build
    repository_url: pulumi.Input[str]
    platforms: list[str]
    stack: str


class ImageBuild(pulumi.ComponentResource):
    image_ref: pulumi.Output[str]

    def __init__(self, name: str, args: ImageBuildArgs,
                 opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("shipyard:image:ImageBuild", name, None, opts)
        build = args.build
        url = pulumi.Output.from_input(args.repository_url)
        registry = url.apply(lambda u: registry_of(u)[0])
        # A short-lived (12 h) token for the repository's registry, read at every run and kept
        # a Pulumi secret: it is encrypted in the state and masked in previews.
        token = aws.ecr.get_authorization_token_output(
            registry_id=url.apply(lambda u: registry_of(u)[1]))
        cache = url.apply(lambda u: cache_reference(u, args.stack))
        image = docker_build.Image(
            name,
            context=docker_build.BuildContextArgs(location=build.context),
            dockerfile=docker_build.DockerfileArgs(location=f"{build.context}/{build.dockerfile}"),
            build_args=dict(sorted(build.args.items())) or None,
            target=build.target,
            platforms=[docker_build.Platform(p) for p in args.platforms],
            tags=[url.apply(lambda u: f"{u}:{build_tag(args.stack)}")],
            push=True,
            # Build during previews too, so a broken Dockerfile fails the pull request's
            # preview, not the deployment (preview builds are never pushed).
            build_on_preview=True,
            registries=[docker_build.RegistryArgs(
                address=registry, username=token.user_name,
                password=pulumi.Output.secret(token.password))],
            # ECR as the BuildKit cache: every layer (mode=max), stored as an OCI image manifest,
            # the only form ECR accepts (docs of pulumi-docker-build's CacheToRegistry, and
            # "Announcing remote cache support in Amazon ECR for BuildKit clients", AWS, 2023).
            cache_from=[docker_build.CacheFromArgs(
                registry=docker_build.CacheFromRegistryArgs(ref=cache))],
            cache_to=[docker_build.CacheToArgs(registry=docker_build.CacheToRegistryArgs(
                ref=cache, mode=docker_build.CacheMode.MAX, image_manifest=True,
                oci_media_types=True))],
            opts=pulumi.ResourceOptions(parent=self))
        self.image_ref = pulumi.Output.all(url, image.digest).apply(
            lambda values: digest_reference(values[0], values[1]))
        self.register_outputs({"imageRef": self.image_ref})
