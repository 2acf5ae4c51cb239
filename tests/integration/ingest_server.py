"""A local HTTP server for the ingest tests and bench: the shared corpus, generated feeds, and
hostile endpoints. It counts every request by path so tests can assert what was (not) fetched.

Routes:
  /corpus/feeds/<file>        a corpus feed with the headers feedparser's suite served it with
  /corpus/pages/<file>        a corpus page (text/html, no charset: the extractor detects it)
  /copy/<file>                the same page bytes under another URL (a syndicated copy)
  /moved/<file>               301 to /corpus/pages/<file>?utm_source=x (redirects followed)
  /gen/<name>.xml             a generated RSS feed registered with :meth:`LocalServer.set_feed`
  /page/<name>                a generated page registered with :meth:`LocalServer.set_page`
  /bulk/<n>.xml               a small generated RSS feed (no page fetches needed; bench)
  /hostile/...                see :data:`HOSTILE`
Feeds and pages carry an ETag and answer If-None-Match with 304.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / ".." / "shared" / "corpus"
FEEDS_DIR = CORPUS / "feeds"
PAGES_DIR = CORPUS / "pages"


def corpus_index() -> list[dict[str, str]]:
    with (FEEDS_DIR / "INDEX.tsv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh, delimiter="\t"))
    header = rows[0]
    out = []
    for r in rows[1:]:
        d = dict(zip(header, r, strict=True))
        d["origin"] = r[1]
        d["exercises"] = r[2]
        out.append(d)
    return out


def corpus_headers(row: dict[str, str]) -> dict[str, str]:
    """The response headers feedparser's suite used for a corpus file (HTTP tests only)."""
    headers: dict[str, str] = {}
    if row["http_headers_in_test"]:
        for h in row["http_headers_in_test"].split(" | "):
            k, v = h.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    if "/http" in row["origin"] or "_http_" in row["file"] or "__http_" in row["file"]:
        headers.setdefault("content-type", "text/xml")
        headers["content-location"] = "http://127.0.0.1:8097/" + row["origin"]
    return headers


def billion_laughs(levels: int = 10) -> bytes:
    decls = b'<!ENTITY lol0 "lol">\n' + b"".join(
        b'<!ENTITY lol%d "%s">\n' % (i, (b"&lol%d;" % (i - 1)) * 10) for i in range(1, levels)
    )
    return (
        b'<?xml version="1.0"?>\n<!DOCTYPE rss [\n' + decls + b"]>\n"
        b'<rss version="2.0"><channel><title>laughs &lol%d;</title>'
        b"<item><title>t</title><link>http://example.invalid/a</link></item></channel></rss>" % (levels - 1)
    )


def quadratic_blowup(size: int = 100_000, refs: int = 20_000) -> bytes:
    return (
        b'<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY a "' + b"A" * size + b'">\n]>\n'
        b'<rss version="2.0"><channel><title>q</title><item><title>' + b"&a;" * refs + b"</title>"
        b"<link>http://example.invalid/q</link></item></channel></rss>"
    )


def external_entities(secret: str) -> bytes:
    return (
        b'<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY file SYSTEM "file:///etc/passwd">\n'
        b'<!ENTITY net SYSTEM "' + secret.encode() + b'">\n<!ENTITY % p SYSTEM "' + secret.encode() + b'"> %p;\n]>\n'
        b'<rss version="2.0"><channel><title>xxe &file; &net;</title><item><title>&file;</title>'
        b"<description>&net;</description><link>http://example.invalid/x</link></item></channel></rss>"
    )


def rss(title: str, items: list[tuple[str, str, str]], ttl: int | None = None) -> bytes:
    """A small RSS 2.0 document; items are (guid, link, title)."""
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>',
        f"<title>{escape(title)}</title><link>http://example.invalid/</link>",
    ]
    if ttl:
        parts.append(f"<ttl>{ttl}</ttl>")
    for i, (guid, link, t) in enumerate(items):
        parts.append(
            f"<item><guid isPermaLink='false'>{escape(guid)}</guid><link>{escape(link)}</link>"
            f"<title>{escape(t)}</title><description>Summary of {escape(t)}: a short teaser that "
            f"stands in when the page cannot be read.</description>"
            f"<pubDate>{formatdate(1_700_000_000 + i * 60, usegmt=True)}</pubDate></item>"
        )
    parts.append("</channel></rss>")
    return "".join(parts).encode()


@dataclass
class _State:
    hits: Counter[str] = field(default_factory=Counter)
    not_modified: Counter[str] = field(default_factory=Counter)
    feeds: dict[str, bytes] = field(default_factory=dict)
    pages: dict[str, bytes] = field(default_factory=dict)
    page_delay_s: float = 0.0
    in_flight: int = 0
    max_in_flight: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    bomb: bytes | None = None
    secret_url: str = "http://127.0.0.1:9/secret"
    stop: threading.Event = field(default_factory=threading.Event)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return

    def _send(self, body: bytes, ctype: str | None, extra: dict[str, str] | None = None, etag: bool = True) -> None:
        st = self.server.state
        tag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        if etag and self.headers.get("If-None-Match") == tag:
            with st.lock:
                st.not_modified[urlsplit(self.path).path] += 1
            self.send_response(304)
            self.send_header("ETag", tag)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        if ctype:
            self.send_header("Content-Type", ctype)
        if etag:
            self.send_header("ETag", tag)
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _redirect(self, location: str, code: int = 302) -> None:
        self.send_response(code)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self) -> None:
        st = self.server.state
        path = urlsplit(self.path).path
        with st.lock:
            st.hits[path] += 1
        try:
            self._route(path)
        except (BrokenPipeError, ConnectionResetError):
            return

    def _route(self, path: str) -> None:
        st = self.server.state
        if path.startswith("/corpus/feeds/"):
            name = path.rsplit("/", 1)[1]
            row = next((r for r in self.server.index if r["file"] == name), None)
            if row is None:
                self.send_error(404)
                return
            headers = corpus_headers(row)
            # feedparser's suite read the non-HTTP files from disk; application/xml without a charset
            # is the HTTP type that defers to the document's own BOM and XML declaration the same way.
            ctype = headers.pop("content-type", "application/xml")
            self._send((FEEDS_DIR / name).read_bytes(), ctype, {k.title(): v for k, v in headers.items()})
        elif path.startswith(("/corpus/pages/", "/copy/")):
            name = path.rsplit("/", 1)[1]
            file = PAGES_DIR / name
            if not file.is_file() or name == "expectations.json":
                self.send_error(404)
                return
            with st.lock:
                st.in_flight += 1
                st.max_in_flight = max(st.max_in_flight, st.in_flight)
            try:
                if st.page_delay_s:
                    time.sleep(st.page_delay_s)
            finally:
                # counted down before the response is written: once the client has the response
                # it may start its next request before this thread would get to run again
                with st.lock:
                    st.in_flight -= 1
            self._send(file.read_bytes(), "text/html")
        elif path.startswith("/moved/"):
            self._redirect("/corpus/pages/" + path.rsplit("/", 1)[1] + "?utm_source=feed#top", 301)
        elif path.startswith("/gen/"):
            body = st.feeds.get(path.rsplit("/", 1)[1].removesuffix(".xml"))
            if body is None:
                self.send_error(404)
                return
            self._send(body, "application/rss+xml; charset=utf-8", {"Cache-Control": "max-age=1"})
        elif path.startswith("/page/"):
            body = st.pages.get(path.rsplit("/", 1)[1])
            if body is None:
                self.send_error(404)
                return
            self._send(body, "text/html; charset=utf-8")
        elif path.startswith("/bulk/"):
            n = path.rsplit("/", 1)[1].removesuffix(".xml")
            items = [(f"bulk-{n}-{i}", f"http://example.invalid/bulk/{n}/{i}", f"Bulk {n} item {i}") for i in range(5)]
            self._send(rss(f"bulk {n}", items), "application/rss+xml")
        elif path.startswith("/hostile/"):
            self._hostile(path.removeprefix("/hostile/"))
        elif path == "/secret":
            self._send(b"secret", "text/plain")
        else:
            self.send_error(404)

    def _hostile(self, what: str) -> None:
        st = self.server.state
        if what == "laughs.xml":
            self._send(billion_laughs(), "application/rss+xml")
        elif what == "quadratic.xml":
            self._send(quadratic_blowup(), "application/rss+xml")
        elif what == "xxe.xml":
            self._send(external_entities(st.secret_url), "application/rss+xml")
        elif what == "gzip-bomb.xml":
            with st.lock:
                if st.bomb is None:
                    st.bomb = gzip.compress(b"\0" * (256 * 1024 * 1024), compresslevel=9)
            self._send(st.bomb, "application/rss+xml", {"Content-Encoding": "gzip"}, etag=False)
        elif what == "huge.xml":
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Content-Length", str(10 * 1024**3))
            self.end_headers()
            self.wfile.write(b"<rss>")
        elif what == "endless.xml":
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.end_headers()  # no length: the body ends when the connection does
            chunk = b"<rss>" + b"x" * 65531
            while not st.stop.is_set():
                self.wfile.write(chunk)
        elif what == "trickle.xml":
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.end_headers()
            for byte in b'<?xml version="1.0"?><rss version="2.0"><channel><title>slow' + b" " * 10_000:
                if st.stop.wait(1.0):
                    return
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
        elif what == "trickle-headers.xml":
            for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 10_000:
                if st.stop.wait(1.0):
                    return
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
        elif what.startswith("loop-"):
            self._redirect("/hostile/loop-" + ("b" if what.endswith("a") else "a"))
        elif what == "to-loopback":
            self._redirect(st.secret_url)
        elif what == "to-file":
            self._redirect("file:///etc/passwd")
        elif what == "to-metadata":
            self._redirect("http://169.254.169.254/latest/meta-data/")
        elif what == "status-503":
            self.send_response(503)
            self.send_header("Retry-After", "120")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif what == "not-a-feed.xml":
            self._send(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "application/rss+xml")
        elif what == "deep.html":
            self._send(b"<html><body>" + b"<div>" * 200_000 + b"text" + b"</div>" * 200_000, "text/html")
        else:
            self.send_error(404)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    state: _State
    index: list[dict[str, str]]


class LocalServer:
    """The server on ``host`` (a loopback address), in a background thread."""

    def __init__(self, host: str = "127.0.0.1", state: _State | None = None) -> None:
        self.httpd = _Server((host, 0), _Handler)
        self.httpd.state = state or _State()
        self.httpd.index = corpus_index()
        self.host = host
        self.port = int(self.httpd.server_address[1])
        self.thread = threading.Thread(target=self.httpd.serve_forever, name=f"http-{host}", daemon=True)

    def __enter__(self) -> LocalServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.state.stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    @property
    def state(self) -> _State:
        return self.httpd.state

    @property
    def base(self) -> str:
        return f"http://{self.host}:{self.port}"

    def url(self, path: str) -> str:
        return self.base + path

    def set_feed(self, name: str, body: bytes) -> str:
        with self.state.lock:
            self.state.feeds[name] = body
        return self.url(f"/gen/{name}.xml")

    def set_page(self, name: str, html: str) -> str:
        with self.state.lock:
            self.state.pages[name] = html.encode()
        return self.url(f"/page/{name}")

    def hits(self, prefix: str = "") -> int:
        with self.state.lock:
            return sum(n for p, n in self.state.hits.items() if p.startswith(prefix))
