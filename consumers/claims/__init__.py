"""Claims enrichment: quotes, counts and events of each article, each with its evidence span.

Pure core: :func:`consumers.claims.extract.extract_claims` (a parsed doc in, claim records out);
the Kafka edge lives in :mod:`consumers.claims.service`.
"""
