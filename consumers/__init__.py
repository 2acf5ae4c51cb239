"""Consumers: the entities and claims enrichers and the projector, each a pure core plus a thin runner."""
