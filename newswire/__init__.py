"""newswire: shared kernel — event envelope and codec, ids, topics, settings, Kafka bus, metrics, CLI."""

__version__ = "0.1.0"
