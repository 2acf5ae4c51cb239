"""Counts placeholder."""
from __future__ import annotations
from consumers.claims.context import ArticleContext
from consumers.claims.records import Claim
def extract_counts(ctx: ArticleContext) -> list[Claim]:
    return []
