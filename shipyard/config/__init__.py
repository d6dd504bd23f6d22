"""The `shipyard:` stack-config contract: schema (keys, defaults, docs), cross-key rules, loading."""

from shipyard.config.load import ConfigError, from_pulumi, parse
from shipyard.config.schema import StackConfig

__all__ = ["ConfigError", "StackConfig", "from_pulumi", "parse"]
