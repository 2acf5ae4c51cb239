"""NLP shared by the enrichers: the spaCy model and entity canonicalization.

The entities and claims enrichers share this code (not a process), so that the entity ids in
claims are exactly the ids the entities stream uses for the same article.
"""
