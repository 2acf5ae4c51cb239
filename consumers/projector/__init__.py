"""The projector: the live view of the talks (a pure core, compiled when built: see
:mod:`newswire.compiled`), its Kafka loop and its HTTP side."""

from newswire.compiled import extend_path

extend_path(__path__, __name__)
