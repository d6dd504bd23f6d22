"""An existing cluster's nodes are unknown to Shipyard: they may be of any architecture."""

from __future__ import annotations

from typing import TYPE_CHECKING

from shipyard import architectures as arch

if TYPE_CHECKING:
    from shipyard.config.schema import StackConfig


def capacity(config: StackConfig) -> tuple[str, ...]:
    return arch.ARCHITECTURES


def build_architectures(config: StackConfig) -> tuple[str, ...]:
    """amd64, the common case; the pods are kept to amd64 nodes."""
    return (arch.AMD64,)
