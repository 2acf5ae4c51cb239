"""A safe HTTP client for feeds and article pages (DESIGN.md, Guarantees).

What it guarantees, and why each is needed for fetching URLs that strangers control:

* only ``http``/``https``; every host is resolved first and *every* address checked against
  :class:`AddressPolicy` (private, loopback, link-local, CGNAT, ULA, multicast, unspecified and
  reserved ranges are refused) before any connection, on the first hop and on every redirect; the
  connection then goes to the checked address, so a second DNS answer cannot swap it (rebinding);
* at most ``max_redirects`` redirects;
* the body is capped on the wire (``Content-Length`` refused up front, counted while reading) and
  again after decompression (a gzip bomb stops at the cap, not at the memory limit);
* one total deadline per request, enforced by a watchdog that shuts the socket down, so a server
  trickling one byte a second (in the headers or the body) cannot hold a worker forever;
* conditional GET (``If-None-Match`` / ``If-Modified-Since``) so an unchanged feed costs a 304.

No global pool, no hidden retries: one request, one connection, one outcome (a :class:`Response`
or a :class:`FetchError` with a reason from a closed set, used as a metric label).
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import socket
import ssl
import threading
import time
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin, urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

#: Closed set of reasons (metric label values).
REASONS: tuple[str, ...] = (
    "bad_url",
    "bad_scheme",
    "blocked_address",
    "dns",
    "connect",
    "tls",
    "too_many_redirects",
    "too_large",
    "deadline",
    "http_status",
    "decode",
    "protocol",
)

_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
USER_AGENT = "newswire-ingestor/0.1 (+https://github.com/newswire; feed reader)"


class FetchError(Exception):
    """A request that produced no usable response; ``reason`` is one of :data:`REASONS`."""

    def __init__(
        self,
        reason: str,
        message: str,
        url: str,
        status: int | None = None,
        retry_after_s: float | None = None,
    ) -> None:
        super().__init__(f"{reason}: {message}")
        self.reason = reason
        self.url = url
        self.status = status
        self.retry_after_s = retry_after_s


@dataclass(frozen=True)
class AddressPolicy:
    """Which resolved addresses may be connected to.

    ``allow_private`` lifts the range check (``NEWSWIRE_ALLOW_PRIVATE_NETWORKS=true``: tests,
    intranets). ``extra_allowed`` admits single addresses (an intranet mirror) without opening
    whole ranges.
    """

    allow_private: bool = False
    extra_allowed: frozenset[IPAddress] = frozenset()

    def refusal(self, ip: IPAddress) -> str | None:
        """Why ``ip`` may not be fetched, or None when it may."""
        if self.allow_private or ip in self.extra_allowed:
            return None
        return classify_address(ip)


def classify_address(ip: IPAddress) -> str | None:
    """The non-public range ``ip`` falls in (loopback, private, …), or None for a public address.

    IPv4 embedded in IPv6 (mapped ``::ffff:a.b.c.d``, 6to4, Teredo, NAT64 well-known prefix) is
    unwrapped first, so ``::ffff:127.0.0.1`` is loopback.
    """
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is None and ip in ipaddress.ip_network("64:ff9b::/96"):
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            inner = classify_address(embedded)
            if inner is not None:
                return inner
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link-local"
    if ip.is_multicast:
        return "multicast"
    if isinstance(ip, ipaddress.IPv4Address) and ip in _CGNAT:
        return "cgnat"
    if isinstance(ip, ipaddress.IPv6Address) and ip in ipaddress.ip_network("fc00::/7"):
        return "ula"
    if ip.is_private:
        return "private"
    if ip.is_reserved:
        return "reserved"
    if not ip.is_global:
        return "not-global"
    return None


@dataclass(frozen=True)
class FetchLimits:
    """Bounds on one request (redirects included)."""

    max_redirects: int = 5
    max_body_bytes: int = 8 * 1024 * 1024
    max_decoded_bytes: int = 16 * 1024 * 1024
    deadline_s: float = 30.0
    connect_timeout_s: float = 10.0
    user_agent: str = USER_AGENT


@dataclass(frozen=True)
class Response:
    """A final (non-redirect) response: 2xx with its decoded body, or 304 with none."""

    url: str
    status: int
    headers: Mapping[str, str]
    body: bytes
    redirects: tuple[str, ...] = ()
    wire_bytes: int = 0
    elapsed_s: float = 0.0

    @property
    def not_modified(self) -> bool:
        return self.status == 304


Resolver = Callable[[str, int], list[IPAddress]]


def system_resolver(host: str, port: int) -> list[IPAddress]:
    """All addresses of ``host`` from the system resolver (numeric spellings such as ``127.1``,
    ``2130706433`` or ``0x7f.1`` come back as the address they denote)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    out: list[IPAddress] = []
    for _family, _type, _proto, _canon, sockaddr in infos:
        ip = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if ip not in out:
            out.append(ip)
    return out


class HostLimiter:
    """At most ``per_host`` requests in flight to one host (politeness), shared by all workers."""

    def __init__(self, per_host: int = 2) -> None:
        self.per_host = per_host
        self._lock = threading.Lock()
        self._sems: dict[str, threading.BoundedSemaphore] = {}

    @contextlib.contextmanager
    def slot(self, host: str, timeout_s: float) -> Iterator[None]:
        with self._lock:
            sem = self._sems.setdefault(host, threading.BoundedSemaphore(self.per_host))
        if not sem.acquire(timeout=max(timeout_s, 0.0)):
            raise TimeoutError(f"no free slot for {host} within {timeout_s:.1f}s")
        try:
            yield
        finally:
            sem.release()


class _Decoder:
    """Content-Encoding decoding with a cap on the decoded size (gzip bombs stop at the cap)."""

    def __init__(self, encoding: str, cap: int, url: str) -> None:
        self.cap = cap
        self.url = url
        self.size = 0
        self.parts: list[bytes] = []
        enc = encoding.strip().lower()
        self._raw_deflate_retry = False
        if enc in ("", "identity"):
            self._z: zlib._Decompress | None = None
        elif enc in ("gzip", "x-gzip"):
            self._z = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif enc == "deflate":
            self._z = zlib.decompressobj(zlib.MAX_WBITS)
            self._raw_deflate_retry = True
        else:
            raise FetchError("decode", f"unsupported Content-Encoding {encoding!r}", url)

    def _add(self, out: bytes) -> None:
        self.size += len(out)
        if self.size > self.cap:
            raise FetchError("too_large", f"decoded body exceeds {self.cap} bytes", self.url)
        self.parts.append(out)

    def feed(self, data: bytes) -> None:
        if self._z is None:
            self._add(data)
            return
        try:
            out = self._z.decompress(data, self.cap - self.size + 1)
            self._add(out)
            while self._z.unconsumed_tail:
                self._add(self._z.decompress(self._z.unconsumed_tail, self.cap - self.size + 1))
        except zlib.error as exc:
            if self._raw_deflate_retry and self.size == 0:  # "deflate" sent as a raw stream
                self._raw_deflate_retry = False
                self._z = zlib.decompressobj(-zlib.MAX_WBITS)
                self.feed(data)
                return
            raise FetchError("decode", f"corrupt compressed body: {exc}", self.url) from exc
        self._raw_deflate_retry = False

    def finish(self) -> bytes:
        if self._z is not None:
            try:
                self._add(self._z.flush())
            except zlib.error as exc:
                raise FetchError("decode", f"corrupt compressed body: {exc}", self.url) from exc
        return b"".join(self.parts)


class _PinnedHTTP(http.client.HTTPConnection):
    """Connects to an address checked beforehand; the Host header keeps the name."""

    def __init__(self, host: str, port: int, ip: IPAddress, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._ip = ip

    def connect(self) -> None:
        self.sock = socket.create_connection((str(self._ip), self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, ip: IPAddress, timeout: float, context: ssl.SSLContext) -> None:
        super().__init__(host, port, timeout=timeout, context=context)
        self._ip = ip
        self._ctx = context

    def connect(self) -> None:
        raw = socket.create_connection((str(self._ip), self.port), self.timeout)
        self.sock = self._ctx.wrap_socket(raw, server_hostname=self.host)


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - now, 0.0)


@dataclass
class Fetcher:
    """GET with the guarantees above. Thread-safe: share one per process, it holds no sockets."""

    policy: AddressPolicy = field(default_factory=AddressPolicy)
    limits: FetchLimits = field(default_factory=FetchLimits)
    limiter: HostLimiter = field(default_factory=HostLimiter)
    resolver: Resolver = system_resolver
    #: Called with (host, ip, port) right before each connection (tests count what was contacted).
    on_connect: Callable[[str, IPAddress, int], None] | None = None
    ssl_context: ssl.SSLContext = field(default_factory=ssl.create_default_context)

    def get(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        accept: str = "*/*",
        limits: FetchLimits | None = None,
    ) -> Response:
        lim = limits or self.limits
        started = time.monotonic()
        deadline = started + lim.deadline_s
        redirects: list[str] = []
        current = url
        wire_total = 0
        while True:
            status, headers, body, wire = self._one(current, etag, last_modified, accept, lim, deadline)
            wire_total += wire
            if status in _REDIRECTS and headers.get("location"):
                if len(redirects) >= lim.max_redirects:
                    raise FetchError("too_many_redirects", f"more than {lim.max_redirects} redirects", url, status)
                nxt = urljoin(current, headers["location"].strip())
                redirects.append(nxt)
                current = nxt
                continue
            if status == 304 or 200 <= status < 300:
                return Response(
                    url=current,
                    status=status,
                    headers=headers,
                    body=body if status != 304 else b"",
                    redirects=tuple(redirects),
                    wire_bytes=wire_total,
                    elapsed_s=time.monotonic() - started,
                )
            raise FetchError(
                "http_status",
                f"HTTP {status}",
                current,
                status,
                parse_retry_after(headers.get("retry-after"), time.time()),
            )

    # -- one hop -------------------------------------------------------------------------------

    def _resolve(self, host: str, port: int, deadline: float, url: str) -> list[IPAddress]:
        """The resolver under the request's deadline (``getaddrinfo`` has no timeout of its own;
        a lookup that overruns is abandoned to its thread, which the resolver's timeouts end)."""
        box: dict[str, object] = {}

        def run() -> None:
            try:
                box["addrs"] = self.resolver(host, port)
            except (OSError, UnicodeError, ValueError) as exc:
                box["error"] = exc

        worker = threading.Thread(target=run, name="dns", daemon=True)
        worker.start()
        worker.join(max(deadline - time.monotonic(), 0.0))
        if worker.is_alive():
            raise FetchError("deadline", f"resolving {host!r} outlived the deadline", url)
        if "error" in box:
            exc = box["error"]
            raise FetchError("dns", f"cannot resolve {host!r}: {exc}", url) from (
                exc if isinstance(exc, BaseException) else None
            )
        addrs = box.get("addrs")
        return list(addrs) if isinstance(addrs, list) else []

    def _check(self, url: str, deadline: float) -> tuple[str, str, int, list[IPAddress]]:
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as exc:
            raise FetchError("bad_url", str(exc), url) from exc
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https"):
            raise FetchError("bad_scheme", f"scheme {scheme or '(none)'!r} is not fetched", url)
        host = parts.hostname
        if not host:
            raise FetchError("bad_url", "no host", url)
        port = port or (443 if scheme == "https" else 80)
        addrs = self._resolve(host, port, deadline, url)
        if not addrs:
            raise FetchError("dns", f"no address for {host!r}", url)
        for ip in addrs:
            why = self.policy.refusal(ip)
            if why is not None:
                raise FetchError("blocked_address", f"{host} resolves to {ip} ({why})", url)
        return scheme, host, port, addrs

    def _one(
        self,
        url: str,
        etag: str | None,
        last_modified: str | None,
        accept: str,
        lim: FetchLimits,
        deadline: float,
    ) -> tuple[int, dict[str, str], bytes, int]:
        scheme, host, port, addrs = self._check(url, deadline)
        parts = urlsplit(url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise FetchError("deadline", f"deadline of {lim.deadline_s}s passed", url)
        try:
            slot = self.limiter.slot(host, remaining)
            with slot:
                return self._exchange(
                    scheme, host, port, addrs, url, target, etag, last_modified, accept, lim, deadline
                )
        except TimeoutError as exc:
            raise FetchError("deadline", str(exc), url) from exc

    def _exchange(
        self,
        scheme: str,
        host: str,
        port: int,
        addrs: list[IPAddress],
        url: str,
        target: str,
        etag: str | None,
        last_modified: str | None,
        accept: str,
        lim: FetchLimits,
        deadline: float,
    ) -> tuple[int, dict[str, str], bytes, int]:
        expired = threading.Event()
        conn: http.client.HTTPConnection | None = None
        last_exc: OSError | None = None
        for ip in addrs:
            timeout = max(min(lim.connect_timeout_s, deadline - time.monotonic()), 0.001)
            if self.on_connect is not None:
                self.on_connect(host, ip, port)
            candidate: http.client.HTTPConnection = (
                _PinnedHTTPS(host, port, ip, timeout, self.ssl_context)
                if scheme == "https"
                else _PinnedHTTP(host, port, ip, timeout)
            )
            try:
                candidate.connect()
                conn = candidate
                break
            except ssl.SSLError as exc:
                candidate.close()
                raise FetchError("tls", str(exc), url) from exc
            except OSError as exc:
                candidate.close()
                last_exc = exc
        if conn is None:
            raise FetchError("connect", f"cannot connect to {host}:{port}: {last_exc}", url)

        def kill() -> None:
            expired.set()
            sock = conn.sock if conn is not None else None
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

        watchdog = threading.Timer(max(deadline - time.monotonic(), 0.0), kill)
        watchdog.daemon = True
        watchdog.start()
        try:
            assert conn.sock is not None
            conn.sock.settimeout(max(deadline - time.monotonic(), 0.001))
            headers = {
                "User-Agent": lim.user_agent,
                "Accept": accept,
                "Accept-Encoding": "gzip, deflate",
                "Connection": "close",
            }
            if etag:
                headers["If-None-Match"] = etag
            if last_modified:
                headers["If-Modified-Since"] = last_modified
            conn.request("GET", target, headers=headers)
            resp = conn.getresponse()
            resp_headers = _header_map(resp.getheaders())
            status = resp.status
            if status in _REDIRECTS or status == 304 or status >= 300:
                return status, resp_headers, b"", 0
            declared = resp_headers.get("content-length", "")
            if declared.isdigit() and int(declared) > lim.max_body_bytes:
                raise FetchError("too_large", f"Content-Length {declared} exceeds {lim.max_body_bytes}", url)
            decoder = _Decoder(resp_headers.get("content-encoding", ""), lim.max_decoded_bytes, url)
            wire = 0
            while True:
                if time.monotonic() > deadline:
                    raise FetchError("deadline", f"deadline of {lim.deadline_s}s passed while reading", url)
                chunk = resp.read1(65536)
                if not chunk:
                    break
                wire += len(chunk)
                if wire > lim.max_body_bytes:
                    raise FetchError("too_large", f"body exceeds {lim.max_body_bytes} bytes on the wire", url)
                decoder.feed(chunk)
            return status, resp_headers, decoder.finish(), wire
        except FetchError:
            raise
        except (OSError, http.client.HTTPException) as exc:
            if expired.is_set() or time.monotonic() > deadline:
                raise FetchError("deadline", f"deadline of {lim.deadline_s}s passed", url) from exc
            if isinstance(exc, ssl.SSLError):
                raise FetchError("tls", str(exc), url) from exc
            reason = "protocol" if isinstance(exc, http.client.HTTPException) else "connect"
            raise FetchError(reason, f"{type(exc).__name__}: {exc}", url) from exc
        finally:
            watchdog.cancel()
            conn.close()


def _header_map(pairs: list[tuple[str, str]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for k, v in pairs:
        key = k.lower()
        out[key] = f"{out[key]}, {v}" if key in out else v
    return out
