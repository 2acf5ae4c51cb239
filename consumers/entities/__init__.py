"""The entities enricher: articles → canonical named entities with spans (``newswire.entities.v1``)."""
