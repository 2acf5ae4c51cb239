"""Live feed ingestion: poll RSS/Atom feeds, fetch and extract article pages, publish each article once.

Pure cores (``parse``, ``extract``, ``canonical``, ``dedupe``, ``scheduler``, ``config``) take bytes and
values; the edges (``fetch`` for HTTP, ``state`` for SQLite, ``daemon`` for Kafka and the clock) do I/O.
"""
