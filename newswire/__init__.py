"""newswire: shared kernel — event envelope and codec, ids, topics, settings, Kafka bus, metrics, CLI."""

from newswire.compiled import extend_path

__version__ = "0.1.0"

extend_path(__path__, __name__)  # (newswire.frozen compiled, when built: see newswire.compiled)
