"""Producers: seed replay, feed polling, page fetching and extraction, deduplication."""
