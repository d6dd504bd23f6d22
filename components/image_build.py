"""ImageBuild: a service's image built from its Dockerfile with BuildKit during `pulumi up`,
pushed to its ECR repository and referenced by digest."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_aws as aws
import pulumi_docker_build as docker_build

from shipyard.config.schema import Build
from shipyard.services.image_build import (
    architecture,
    build_tag,
    cache_reference,
    digest_of,
    digest_reference,
    registry_of,
)


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
        self._args = args
        url = pulumi.Output.from_input(args.repository_url)
        # A short-lived (12 h) token for the repository's registry, read at every run and kept
        # a Pulumi secret (encrypted in the state, masked in previews). A new token is no
        # change: the provider's diffs ignore registry passwords (pulumi-docker-build,
        # provider/internal/image.go and index.go, Diff).
        token = aws.ecr.get_authorization_token_output(
            registry_id=url.apply(lambda u: registry_of(u)[1]))
        self._registry = docker_build.RegistryArgs(
            address=url.apply(lambda u: registry_of(u)[0]), username=token.user_name,
            password=pulumi.Output.secret(token.password))
        # Deleting a pushed image or index (destroy, or a replacement) deletes its manifest from
        # the registry by digest (pulumi-docker-build v0.0.22, provider/internal/image.go and
        # index.go, Delete): the digest other stacks were promoted to and run. Pushed images
        # therefore stay in ECR when Pulumi forgets them ("use retainOnDelete: true if you do
        # not want tags deleted", the Image docs); the repository's lifecycle policy expires them.
        self._pushed = pulumi.ResourceOptions(parent=self, retain_on_delete=True)
        # Images are named by platform whatever their number, so adding a platform later
        # keeps the existing image's URN.
        if len(args.platforms) == 1:
            digest = self._image(f"{name}-{architecture(args.platforms[0])}", url, None).digest
        else:
            # One cached build per platform joined by an index: a multi-platform build would
            # export the cache of one platform only (the Index resource's documentation).
            images = [self._image(f"{name}-{architecture(p)}", url, p) for p in args.platforms]
            index = docker_build.Index(
                name, tag=url.apply(lambda u: f"{u}:{build_tag(args.stack)}"),
                sources=[image.ref for image in images], push=True, registry=self._registry,
                opts=self._pushed)
            digest = index.ref.apply(digest_of)
        self.image_ref = pulumi.Output.all(url, digest).apply(
            lambda values: digest_reference(values[0], values[1]))
        self.register_outputs({"imageRef": self.image_ref})

    def _image(self, name: str, url: pulumi.Output[str],
               platform: Optional[str]) -> docker_build.Image:
        build, stack = self._args.build, self._args.stack
        cache = url.apply(lambda u: cache_reference(u, stack, platform))
        return docker_build.Image(
            name,
            context=docker_build.BuildContextArgs(location=build.context),
            # Relative to the project, like the context (the provider's own default).
            dockerfile=docker_build.DockerfileArgs(location=f"{build.context}/{build.dockerfile}"),
            build_args=dict(sorted(build.args.items())) or None,
            target=build.target,
            platforms=[docker_build.Platform(p) for p in ([platform] if platform else self._args.platforms)],
            tags=[url.apply(lambda u: f"{u}:{build_tag(stack, platform)}")],
            push=True,
            # Build during previews too, so a broken Dockerfile fails the pull request's
            # preview rather than the deployment (preview builds are never pushed).
            build_on_preview=True,
            registries=[self._registry],
            # ECR as the BuildKit cache: every layer (mode=max), as an OCI image manifest, the
            # only form ECR stores (pulumi-docker-build's CacheToRegistry docs; AWS, "Announcing
            # remote cache support in Amazon ECR for BuildKit clients", 2023).
            cache_from=[docker_build.CacheFromArgs(
                registry=docker_build.CacheFromRegistryArgs(ref=cache))],
            cache_to=[docker_build.CacheToArgs(registry=docker_build.CacheToRegistryArgs(
                ref=cache, mode=docker_build.CacheMode.MAX, image_manifest=True,
                oci_media_types=True))],
            opts=self._pushed)
